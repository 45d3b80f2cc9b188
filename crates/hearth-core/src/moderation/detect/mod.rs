//! Built-in detectors for links and personal data, named in a rule's `detect = [...]` list.
//!
//! These find things a word list cannot: phone numbers however they are spaced, spelled-out email
//! addresses, postcodes, street addresses, full names and named courts or schools. They run on
//! the original text (capitals matter for names) and report byte ranges in it.

mod address;
mod links;
mod names;

pub(crate) use names::is_name_word;
mod phone;
mod places;
mod squeeze;
mod vehicle;

use serde::{Deserialize, Serialize};

/// A built-in detector a rule can name in `detect = [...]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// Any web address: `https://...`, `www....`, or a bare `example.org/page`.
    Link,
    /// UK phone numbers: mobiles and landlines, `+44` forms, spaced-out digits.
    Phone,
    /// Email addresses, including spelled-out ones (`janet dot moss at gmail dot com`).
    Email,
    /// UK postcodes, with or without the space, any case.
    Postcode,
    /// Street addresses: `42 Acacia Avenue`, `Flat 3, 12 Mill Lane`.
    Address,
    /// Text that looks like a person's full name.
    FullName,
    /// Named courts, schools, prisons and police stations.
    Place,
    /// Social-media handles next to a platform's name, and links to social-media profiles.
    SocialMedia,
    /// UK vehicle registrations (`KX19 TFN`, `R345 TKL`).
    VehicleRegistration,
}

impl Detector {
    /// Every detector, in the order the rule file documents them.
    pub const ALL: [Detector; 9] = [
        Detector::Link,
        Detector::Phone,
        Detector::Email,
        Detector::Postcode,
        Detector::Address,
        Detector::FullName,
        Detector::Place,
        Detector::SocialMedia,
        Detector::VehicleRegistration,
    ];

    /// The name used in the rule file.
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::Link => "link",
            Detector::Phone => "phone",
            Detector::Email => "email",
            Detector::Postcode => "postcode",
            Detector::Address => "address",
            Detector::FullName => "full_name",
            Detector::Place => "place",
            Detector::SocialMedia => "social_media",
            Detector::VehicleRegistration => "vehicle_registration",
        }
    }

    /// Parses the name used in the rule file.
    pub fn parse(s: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// All detectors, compiled once per rule set.
#[derive(Debug, Clone)]
pub(crate) struct Detectors {
    links: links::LinkDetectors,
    address: address::AddressDetectors,
    names: names::NameDetector,
    places: places::PlaceDetector,
    vehicle: vehicle::VehicleDetector,
}

impl Detectors {
    /// Compiles every detector's patterns.
    pub fn new() -> Result<Detectors, regex::Error> {
        Ok(Detectors {
            links: links::LinkDetectors::new()?,
            address: address::AddressDetectors::new()?,
            names: names::NameDetector::new()?,
            places: places::PlaceDetector::new()?,
            vehicle: vehicle::VehicleDetector::new()?,
        })
    }

    fn run(
        &self,
        detector: Detector,
        text: &str,
        cache: &mut DetectorCache,
    ) -> Vec<(usize, usize)> {
        match detector {
            Detector::Link => self.links.links(text),
            Detector::Phone => phone::find(text),
            // Spaced-out addresses (`j a n e t @ e x a m p l e . o r g`) are read squeezed too.
            Detector::Email => {
                squeeze::also_squeezed(text, squeeze::despaced, |t| self.links.emails(t))
            }
            Detector::Postcode => {
                squeeze::also_squeezed(text, squeeze::despaced, |t| self.address.postcodes(t))
            }
            Detector::Address => self.address.addresses(text),
            // Dotted-out names (`D.a.n.n.y R.e.e.v.e.s`) are read with the dots taken out too.
            Detector::FullName => {
                squeeze::also_squeezed(text, squeeze::undotted, |t| self.names.find(t))
            }
            Detector::Place => self.places.find(text),
            Detector::SocialMedia => {
                let links = cache.get(self, Detector::Link, text).to_vec();
                self.links.social(text, &links)
            }
            Detector::VehicleRegistration => self.vehicle.find(text),
        }
    }
}

/// Detector results for one submission, so several rules naming the same detector share a run.
#[derive(Debug, Default)]
pub(crate) struct DetectorCache {
    results: [Option<Vec<(usize, usize)>>; 9],
}

impl DetectorCache {
    /// The spans `detector` finds in `text`, computed at most once.
    pub fn get(
        &mut self,
        detectors: &Detectors,
        detector: Detector,
        text: &str,
    ) -> &[(usize, usize)] {
        let i = detector.index();
        if self.results[i].is_none() {
            let found = detectors.run(detector, text, self);
            self.results[i] = Some(found);
        }
        self.results[i].as_deref().unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Detector::ALL {
            assert_eq!(Detector::parse(d.as_str()), Some(d));
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                format!("\"{}\"", d.as_str())
            );
        }
        assert_eq!(Detector::parse("phones"), None);
    }
}
