//! Small statistics over measured samples: percentiles of sorted vectors.

/// The `p`-th percentile (0..=100) of `sorted` by nearest rank; None when empty.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// p50, p99 and max of `values` (sorted in place), formatted with `unit`.
pub fn summary(values: &mut [f64], unit: &str) -> String {
    values.sort_by(f64::total_cmp);
    match (
        percentile(values, 50.0),
        percentile(values, 99.0),
        values.last(),
    ) {
        (Some(p50), Some(p99), Some(max)) => {
            format!(
                "p50 {p50:.2} {unit}, p99 {p99:.2} {unit}, max {max:.2} {unit} (n = {})",
                values.len()
            )
        }
        _ => "no samples".to_string(),
    }
}
