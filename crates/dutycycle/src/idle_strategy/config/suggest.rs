use super::names::NAMES;

/// The known name closest to an unknown one: equal but for ASCII case, or at most a typo or
/// two away (one for short names). Names too long to be a typo of a known one are not compared.
pub(super) fn suggest(name: &str) -> Option<&'static str> {
    const LONGEST: usize = 64;
    let name: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    if name.len() > LONGEST {
        return None;
    }
    NAMES
        .iter()
        .map(|&(known, _)| {
            let candidate: Vec<char> = known.chars().map(|c| c.to_ascii_lowercase()).collect();
            let limit = if candidate.len() >= 6 { 2 } else { 1 };
            (known, edit_distance(&name, &candidate), limit)
        })
        .filter(|&(_, distance, limit)| distance <= limit)
        .min_by_key(|&(_, distance, _)| distance)
        .map(|(known, _, _)| known)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours
/// (`yeild` is one typo from `yield`): the optimal string alignment distance.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 0..a.len() {
        current[0] = i + 1;
        for j in 0..b.len() {
            let mut best =
                (previous[j] + usize::from(a[i] != b[j])).min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                best = best.min(before[j - 1] + 1);
            }
            current[j + 1] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::idle_strategy::config::test_support::parse;
    use crate::IdleStrategyParseError;

    #[test]
    fn an_unknown_name_is_named_with_a_suggestion_when_one_is_close() {
        let err = parse("backof").unwrap_err();
        assert_eq!(
            err,
            IdleStrategyParseError::UnknownName { name: "backof".into(), suggestion: Some("backoff") }
        );
        assert_eq!(err.to_string(), r#"unknown idle strategy "backof", did you mean "backoff"?"#);
        let near = [
            ("BACKOFF", "backoff"),
            ("sleep_ns", "sleep-ns"),
            ("yeild", "yield"),
            ("spn", "spin"),
            ("org.agrona.concurrent.BackOffIdleStrategy", "org.agrona.concurrent.BackoffIdleStrategy"),
            ("aeron_idle_strategy_backof", "aeron_idle_strategy_backoff"),
        ];
        for (typo, suggestion) in near {
            match parse(typo).unwrap_err() {
                IdleStrategyParseError::UnknownName { name, suggestion: s } => {
                    assert_eq!((name.as_str(), s), (typo, Some(suggestion)));
                }
                other => panic!("{typo}: {other:?}"),
            }
        }
        let err = parse("parsec").unwrap_err();
        assert_eq!(err, IdleStrategyParseError::UnknownName { name: "parsec".into(), suggestion: None });
        assert!(
            err.to_string().starts_with(r#"unknown idle strategy "parsec": expected spin, noop"#),
            "{err}"
        );
        // Aeron C matches by prefix; this parser does not.
        assert!(matches!(parse("spinning"), Err(IdleStrategyParseError::UnknownName { .. })));
    }

    #[test]
    fn edit_distance_counts_typos() {
        let d =
            |a: &str, b: &str| edit_distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>());
        assert_eq!(d("backof", "backoff"), 1);
        assert_eq!(d("", "spin"), 4);
        assert_eq!(d("yeild", "yield"), 1);
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("kitten", "sitting"), 3);
    }
}
