//! The 18+ gate's arithmetic. The caller supplies today's date *in UK time* (the group is in
//! the UK and a birthday begins at midnight there, not in UTC), so this stays pure and testable.

use chrono::{Datelike, NaiveDate};

/// The minimum age to join.
pub const ADULT_AGE: u32 = 18;

/// The outcome of checking a declared date of birth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeCheck {
    /// 18 or over on `today`.
    Adult,
    /// Under 18 on `today`.
    Minor,
}

/// A date of birth that cannot be right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AgeError {
    /// The date is not a real date in `YYYY-MM-DD` form (the application form sends the day,
    /// month and year boxes that way, so the words are about those, for the person).
    #[error(
        "please give your date of birth as a real date: day, month and year, for example 31 01 1980"
    )]
    Malformed,
    /// The date is after today.
    #[error("that date of birth is in the future: please check the year")]
    InFuture,
    /// The date is implausibly long ago.
    #[error("that date of birth is more than 120 years ago: please check the year")]
    TooOld,
}

/// Parses a `YYYY-MM-DD` date strictly (no times, no other formats).
pub fn parse_date_of_birth(s: &str) -> Result<NaiveDate, AgeError> {
    let s = s.trim();
    if s.len() != 10 {
        return Err(AgeError::Malformed);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| AgeError::Malformed)
}

/// Completed years between `dob` and `today`. A 29 February birthday is reached on 1 March in a
/// non-leap year, as UK law counts it.
pub fn age_on(dob: NaiveDate, today: NaiveDate) -> Result<u32, AgeError> {
    if dob > today {
        return Err(AgeError::InFuture);
    }
    let mut years = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    let years = u32::try_from(years).map_err(|_| AgeError::InFuture)?;
    if years > 120 {
        return Err(AgeError::TooOld);
    }
    Ok(years)
}

/// Whether someone born on `dob` is an adult on `today` (UK date).
pub fn check_adult(dob: NaiveDate, today: NaiveDate) -> Result<AgeCheck, AgeError> {
    Ok(if age_on(dob, today)? >= ADULT_AGE {
        AgeCheck::Adult
    } else {
        AgeCheck::Minor
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date_of_birth(s).unwrap()
    }

    #[test]
    fn eighteenth_birthday_is_the_boundary() {
        let today = d("2026-11-25");
        assert_eq!(check_adult(d("2008-11-25"), today), Ok(AgeCheck::Adult));
        assert_eq!(check_adult(d("2008-11-26"), today), Ok(AgeCheck::Minor));
        assert_eq!(check_adult(d("2008-11-24"), today), Ok(AgeCheck::Adult));
        assert_eq!(check_adult(d("1970-01-01"), today), Ok(AgeCheck::Adult));
        assert_eq!(check_adult(d("2015-06-01"), today), Ok(AgeCheck::Minor));
    }

    #[test]
    fn leap_day_birthdays() {
        // Born 29 Feb 2008: not yet 18 on 28 Feb 2026, 18 on 1 Mar 2026.
        assert_eq!(
            check_adult(d("2008-02-29"), d("2026-02-28")),
            Ok(AgeCheck::Minor)
        );
        assert_eq!(
            check_adult(d("2008-02-29"), d("2026-03-01")),
            Ok(AgeCheck::Adult)
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(
            check_adult(d("2030-01-01"), d("2026-01-01")),
            Err(AgeError::InFuture)
        );
        assert_eq!(
            check_adult(d("1890-01-01"), d("2026-01-01")),
            Err(AgeError::TooOld)
        );
        for bad in [
            "2001-02-30",
            "01/02/2001",
            "2001-1-1",
            "",
            "yesterday",
            "2001-02-03T00:00",
        ] {
            assert_eq!(parse_date_of_birth(bad), Err(AgeError::Malformed), "{bad}");
        }
    }
}
