//! UK vehicle registrations: a car outside a house identifies the family as well as an address.
//!
//! The current format (`KX19 TFN`: two letters, two digits, three letters) in any case, with or
//! without the space; the older prefix (`R345 TKL`) and suffix (`ABC 123D`) formats only in
//! capitals, since in lower case they look too much like other things.

use regex::Regex;

/// The compiled registration patterns.
#[derive(Debug, Clone)]
pub(crate) struct VehicleDetector {
    current: Regex,
    older: Regex,
}

impl VehicleDetector {
    /// Compiles the patterns (fixed strings: tested below, so this does not fail in practice).
    pub fn new() -> Result<VehicleDetector, regex::Error> {
        Ok(VehicleDetector {
            current: Regex::new(r"(?i)\b[a-z]{2}[0-9]{2} ?[a-z]{3}\b")?,
            older: Regex::new(r"\b(?:[A-Z][0-9]{1,3} ?[A-Z]{3}|[A-Z]{3} ?[0-9]{1,3}[A-Z])\b")?,
        })
    }

    /// Byte ranges of registrations in `text`.
    pub fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = self
            .current
            .find_iter(text)
            .chain(self.older.find_iter(text))
            .map(|m| (m.start(), m.end()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations() {
        let d = VehicleDetector::new().unwrap();
        let table: &[(&str, &[&str])] = &[
            ("a silver Astra KX19 TFN, so", &["KX19 TFN"]),
            ("reg is yf68pzv, that's", &["yf68pzv"]),
            ("plate R345 TKL is still", &["R345 TKL"]),
            ("an old ABC 123D", &["ABC 123D"]),
            ("Stuck on the M25 for two hours", &[]),
            ("a TP-Link Archer C6 router", &[]),
            ("Flight BA2490 from Malaga", &[]),
            ("My PHQ-9 went from 22", &[]),
            ("we're in CF10 3AT", &[]),
            ("he is 19 and", &[]),
        ];
        for (text, want) in table {
            let got: Vec<&str> = d.find(text).into_iter().map(|(s, e)| &text[s..e]).collect();
            assert_eq!(got, *want, "{text:?}");
        }
    }
}
