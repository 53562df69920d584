//! Where the keys of a key set are by `kid`, built once per set, so that choosing the
//! candidate keys of a token costs the same for a set of one key and of a thousand.

use std::collections::HashMap;

/// Positions of a key set's keys by `kid`, in key-set order.
#[derive(Clone, Debug, Default)]
pub(crate) struct KidIndex {
    by_kid: HashMap<Box<str>, Vec<usize>>,
    /// Keys without a `kid`: they answer to any token.
    without_kid: Vec<usize>,
}

impl KidIndex {
    /// The index of keys whose kids are `kids`, in key-set order.
    pub(crate) fn build<'k>(kids: impl Iterator<Item = Option<&'k str>>) -> KidIndex {
        let mut index = KidIndex::default();
        for (position, kid) in kids.enumerate() {
            match kid {
                Some(kid) => index.by_kid.entry(kid.into()).or_default().push(position),
                None => index.without_kid.push(position),
            }
        }
        index
    }

    /// The positions of the keys that answer to a token carrying `kid` (keys with exactly that
    /// kid, and keys without one), in key-set order; without a `kid`, all `len` keys.
    pub(crate) fn answering(&self, kid: Option<&str>, len: usize) -> Positions<'_> {
        match kid {
            Some(kid) => {
                let named = self.by_kid.get(kid).map_or(&[][..], Vec::as_slice);
                Positions::Merged(Merged { a: named, b: &self.without_kid })
            }
            None => Positions::All(0..len),
        }
    }
}

/// What [`KidIndex::answering`] returns.
pub(crate) enum Positions<'a> {
    Merged(Merged<'a>),
    All(std::ops::Range<usize>),
}

impl Iterator for Positions<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Positions::Merged(merged) => merged.next(),
            Positions::All(range) => range.next(),
        }
    }
}

/// Two ascending lists of positions, merged in ascending order.
pub(crate) struct Merged<'a> {
    a: &'a [usize],
    b: &'a [usize],
}

impl Iterator for Merged<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let take_a = match (self.a.first(), self.b.first()) {
            (Some(a), Some(b)) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let list = if take_a { &mut self.a } else { &mut self.b };
        let (&first, rest) = list.split_first()?;
        *list = rest;
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_the_kid_and_without_one_in_set_order() {
        let kids = [Some("a"), None, Some("b"), Some("a"), None];
        let index = KidIndex::build(kids.iter().copied());
        assert_eq!(index.answering(Some("a"), 5).collect::<Vec<_>>(), [0, 1, 3, 4]);
        assert_eq!(index.answering(Some("b"), 5).collect::<Vec<_>>(), [1, 2, 4]);
        assert_eq!(index.answering(Some("zz"), 5).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(index.answering(None, 5).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        let none = KidIndex::build([Some("x")].iter().copied());
        assert_eq!(none.answering(Some("y"), 1).count(), 0);
    }
}
