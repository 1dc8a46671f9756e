//! Bar charts drawn on the server as SVG geometry (no charting script): the template turns
//! each bar into a <rect> with its value in a <title>, and prints the same numbers as a
//! table beside the chart for screen readers and for anyone who wants the figures.

/// One bar: where it sits in the chart's viewBox, and what it stands for.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub label: String,
    pub value: i64,
    /// The value as shown (a count, or a size in bytes made readable).
    pub shown: String,
}

/// A horizontal guide line with the value it marks.
pub struct Guide {
    pub y: u32,
    pub label: String,
}

pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub guides: Vec<Guide>,
    /// The plot's left edge (room for the guides' labels).
    pub left: u32,
    /// The baseline, where every bar starts.
    pub base: u32,
    /// A sentence that tells what the chart shows (the SVG's accessible name).
    pub summary: String,
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 200;
const LEFT: u32 = 44;
const TOP: u32 = 10;
const BOTTOM: u32 = 24;

/// Columns, one per `(label, value)`, left to right; `show` formats a value.
pub fn columns(series: &[(String, i64)], summary: String, show: impl Fn(i64) -> String) -> Chart {
    let max = series.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let top = nice_ceiling(max);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base = HEIGHT - BOTTOM;
    let n = u32::try_from(series.len()).unwrap_or(u32::MAX).max(1);
    let slot = (WIDTH - LEFT) / n;
    let gap = (slot / 5).max(1);
    let bars = series
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let height = scale(*value, top, plot_h);
            Bar {
                x: LEFT + u32::try_from(i).unwrap_or(0) * slot + gap / 2,
                y: base - height,
                width: slot.saturating_sub(gap).max(1),
                height,
                label: label.clone(),
                value: *value,
                shown: show(*value),
            }
        })
        .collect();
    let guides =
        [0, top / 2, top].iter().map(|v| Guide { y: base - scale(*v, top, plot_h), label: show(*v) }).collect();
    Chart { width: WIDTH, height: HEIGHT, bars, guides, left: LEFT, base, summary }
}

/// `value`'s height in pixels when `top` fills `full`.
fn scale(value: i64, top: i64, full: u32) -> u32 {
    let v = value.clamp(0, top);
    u32::try_from(v.saturating_mul(i64::from(full)) / top.max(1)).unwrap_or(full)
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `n` (so the guides fall on round numbers).
fn nice_ceiling(n: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= n {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// A count with thousands separated (12,345).
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in bytes in the largest unit that keeps it ≥ 1 (1.5 MB); powers of 1,000.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_share_the_baseline() {
        let series = vec![("a".to_owned(), 0), ("b".to_owned(), 50), ("c".to_owned(), 100)];
        let chart = columns(&series, "test".into(), count);
        let heights: Vec<u32> = chart.bars.iter().map(|b| b.height).collect();
        assert_eq!(heights[0], 0);
        assert_eq!(heights[2], 2 * heights[1]);
        assert!(chart.bars.iter().all(|b| b.y + b.height == chart.base));
        assert_eq!(chart.guides.last().map(|g| g.label.as_str()), Some("100"));
        assert!(chart.bars.windows(2).all(|w| w[0].x + w[0].width <= w[1].x), "no overlap");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!((count(0), count(1234567), count(-1000)), ("0".into(), "1,234,567".into(), "-1,000".into()));
        assert_eq!((bytes(999), bytes(1500), bytes(2_500_000_000)), ("999 B".into(), "1.5 kB".into(), "2.5 GB".into()));
        assert_eq!((nice_ceiling(1), nice_ceiling(3), nice_ceiling(7), nice_ceiling(101)), (1, 5, 10, 200));
    }
}
