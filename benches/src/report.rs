//! Summaries (median, geometric mean) and markdown-compatible text tables.

/// The median of `xs` (the mean of the middle two for an even count), or
/// `None` for no values.
pub fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The geometric mean of positive `xs` (the right mean for ratios: the mean
/// of the inverses is the inverse of the mean), or `None` if there are none
/// or one is not positive.
pub fn geomean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() || xs.iter().any(|&x| x.is_nan() || x <= 0.0) {
        return None;
    }
    Some((xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp())
}

/// Column alignment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table printed as a markdown pipe table, padded to line up in plain text.
#[derive(Clone, Debug)]
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[(&str, Align)]) -> Table {
        Table {
            headers: headers.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells print empty, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([self.headers[i].0.chars().count(), 3])
                .max()
                .unwrap_or(3)
        };
        let widths: Vec<usize> = (0..self.headers.len()).map(width).collect();
        let line = |cells: Vec<String>| -> String {
            let mut s = String::from("|");
            for (i, c) in cells.iter().enumerate() {
                let w = widths[i];
                let padded = match self.headers[i].1 {
                    Align::Left => format!(" {c:<w$} |"),
                    Align::Right => format!(" {c:>w$} |"),
                };
                s += &padded;
            }
            s + "\n"
        };
        let mut out = line(self.headers.iter().map(|h| h.0.clone()).collect());
        out += &line(
            self.headers
                .iter()
                .zip(&widths)
                .map(|((_, a), &w)| match a {
                    Align::Left => "-".repeat(w),
                    Align::Right => format!("{}:", "-".repeat(w - 1)),
                })
                .collect(),
        );
        for r in &self.rows {
            out += &line(r.clone());
        }
        out
    }
}

/// Seconds with three decimals.
pub fn secs(s: f64) -> String {
    format!("{s:.3}")
}

/// A ratio with two decimals and a `×`.
pub fn ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// `-` for a missing value.
pub fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

/// A count with thousands separators (`1234567` → `1,234,567`).
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The UTC calendar date of a Unix time, `YYYY-MM-DD` (proleptic Gregorian).
pub fn utc_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    // Count from 0000-03-01 so that the leap day ends each 4-, 100- and
    // 400-year cycle; 719468 days separate it from 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the 400-year era
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // from March 1st
    let mp = (5 * doy + 2) / 153; // month from March, 0..11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn geometric_means() {
        // sqrt(2 * 8) = 4; the geomean of a ratio and its inverse is 1.
        assert!((geomean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
        assert!((geomean(&[0.25, 4.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((geomean(&[1.0, 10.0, 100.0]).unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(geomean(&[]), None);
        assert_eq!(geomean(&[1.0, 0.0]), None);
    }

    #[test]
    fn tables_are_markdown_pipe_tables() {
        let mut t = Table::new(&[("program", Align::Left), ("time", Align::Right)]);
        t.row(vec!["crc32".into(), "1.5".into()]);
        t.row(vec!["x".into()]);
        assert_eq!(
            t.render(),
            "| program | time |\n\
             | ------- | ---: |\n\
             | crc32   |  1.5 |\n\
             | x       |      |\n"
        );
    }

    #[test]
    fn counts_get_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(670_807_096), "670,807,096");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        // 951782400 = 2000-02-29 00:00 UTC (a leap day in a 400-year leap year);
        // 86400 s later it is March 1st.
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(951_782_400 + 86_400), "2000-03-01");
        // 1700000000 = 2023-11-14 22:13:20 UTC.
        assert_eq!(utc_date(1_700_000_000), "2023-11-14");
        // 4102444800 = 2100-01-01 (2100 is not a leap year).
        assert_eq!(utc_date(4_102_444_800), "2100-01-01");
        assert_eq!(utc_date(4_102_444_800 - 86_400 * 306), "2099-03-01");
    }
}
