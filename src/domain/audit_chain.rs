//! The audit log's hash chain: what a record's hash covers, and the walk that checks a
//! chain from its anchor to its head. No I/O; `db::audit_chain` feeds it the rows.
//!
//! Every sealed record holds `prev_hash` (the hash of the record sealed before it, or the
//! anchor's) and `hash` = SHA-256 over its place, `prev_hash` and every field it holds. A
//! changed field changes the hash; a deleted record leaves a gap in `seq` or a `prev_hash`
//! that points nowhere; records cut from the end no longer reach the stored head.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

/// The hash the first record of a new chain points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one record the hash covers, in the order they are hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    pub id: &'a str,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<&'a str>,
    pub actor_api_key_id: Option<&'a str>,
    pub actor_organization_id: Option<&'a str>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: &'a str,
    pub request_id: Option<&'a str>,
}

/// The hash of the record at `seq` after `prev_hash`, as lowercase hex.
///
/// Each value is length-prefixed and an absent one is told apart from an empty one, so
/// no two different records encode to the same bytes.
pub fn hash(seq: i64, prev_hash: &str, f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"sumai-link audit v1\n");
    h.update(seq.to_be_bytes());
    let time = f.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    for value in [
        Some(prev_hash),
        Some(f.id),
        Some(time.as_str()),
        f.actor_user_id,
        f.actor_api_key_id,
        f.actor_organization_id,
        Some(f.action),
        Some(f.object_type),
        f.object_id,
        Some(f.outcome),
        Some(f.detail),
        f.request_id,
    ] {
        match value {
            None => h.update([0u8]),
            Some(v) => {
                h.update([1u8]);
                h.update((v.len() as u64).to_be_bytes());
                h.update(v.as_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

/// A sealed record as read back for checking.
#[derive(Debug, Clone)]
pub struct Sealed<'a> {
    pub seq: i64,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub fields: Fields<'a>,
}

/// The first thing wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error("record {id} at seq {seq}: its contents do not match its hash (changed)")]
    Changed { seq: i64, id: String },
    #[error(
        "record {id} at seq {seq}: it does not follow the record before it (a record before it was changed, deleted or inserted)"
    )]
    Unlinked { seq: i64, id: String },
    #[error("seq {expected} is missing (found {found} next): deleted")]
    Missing { expected: i64, found: i64 },
    #[error(
        "the chain ends at seq {last} but its head is seq {head}: the records after {last} were deleted"
    )]
    Truncated { last: i64, head: i64 },
    #[error("the last record's hash is not the head's hash: the end of the chain was replaced")]
    HeadMismatch,
    #[error("a record at seq {seq} lies beyond the head (seq {head})")]
    BeyondHead { seq: i64, head: i64 },
}

/// Walks a chain in `seq` order: [`Walk::push`] each record, then [`Walk::finish`].
#[derive(Debug, Clone)]
pub struct Walk {
    next_seq: i64,
    prev_hash: String,
    head_seq: i64,
    checked: u64,
}

impl Walk {
    /// Starts after the anchor (`seq` 0 and [`GENESIS`] for a chain never trimmed).
    pub fn new(anchor_seq: i64, anchor_hash: &str, head_seq: i64) -> Self {
        Self {
            next_seq: anchor_seq + 1,
            prev_hash: anchor_hash.to_owned(),
            head_seq,
            checked: 0,
        }
    }

    pub fn push(&mut self, r: &Sealed<'_>) -> Result<(), Break> {
        if r.seq > self.head_seq {
            return Err(Break::BeyondHead {
                seq: r.seq,
                head: self.head_seq,
            });
        }
        if r.seq != self.next_seq {
            return Err(Break::Missing {
                expected: self.next_seq,
                found: r.seq,
            });
        }
        if hash(r.seq, r.prev_hash, &r.fields) != r.hash {
            return Err(Break::Changed {
                seq: r.seq,
                id: r.fields.id.to_owned(),
            });
        }
        if r.prev_hash != self.prev_hash {
            return Err(Break::Unlinked {
                seq: r.seq,
                id: r.fields.id.to_owned(),
            });
        }
        self.next_seq += 1;
        r.hash.clone_into(&mut self.prev_hash);
        self.checked += 1;
        Ok(())
    }

    /// Checks that the walk reached the head; returns how many records it checked.
    pub fn finish(self, head_hash: &str) -> Result<u64, Break> {
        let last = self.next_seq - 1;
        if last != self.head_seq {
            return Err(Break::Truncated {
                last,
                head: self.head_seq,
            });
        }
        if self.prev_hash != head_hash {
            return Err(Break::HeadMismatch);
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    struct Owned {
        seq: i64,
        prev_hash: String,
        hash: String,
        id: String,
        action: String,
        detail: String,
        object_id: Option<String>,
    }

    fn fields(o: &Owned) -> Fields<'_> {
        Fields {
            id: &o.id,
            occurred_at: chrono::DateTime::from_timestamp(1_780_000_000 + o.seq, 123_456_000)
                .unwrap()
                .naive_utc(),
            actor_user_id: Some("u"),
            actor_api_key_id: None,
            actor_organization_id: Some("o"),
            action: &o.action,
            object_type: "client",
            object_id: o.object_id.as_deref(),
            outcome: "ok",
            detail: &o.detail,
            request_id: None,
        }
    }

    /// A chain of `n` records sealed after `anchor`.
    fn chain(n: i64) -> Vec<Owned> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut o = Owned {
                    seq,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                    id: format!("id-{seq}"),
                    action: "read".into(),
                    detail: format!("{{\"n\":{seq}}}"),
                    object_id: Some(format!("c-{seq}")),
                };
                o.hash = hash(seq, &o.prev_hash, &fields(&o));
                prev = o.hash.clone();
                o
            })
            .collect()
    }

    fn walk(records: &[Owned], head_seq: i64, head_hash: &str) -> Result<u64, Break> {
        let mut w = Walk::new(0, GENESIS, head_seq);
        for o in records {
            w.push(&Sealed {
                seq: o.seq,
                prev_hash: &o.prev_hash,
                hash: &o.hash,
                fields: fields(o),
            })?;
        }
        w.finish(head_hash)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let c = chain(5);
        assert_eq!(walk(&c, 5, &c[4].hash), Ok(5));
        assert_eq!(walk(&[], 0, GENESIS), Ok(0));
    }

    #[test]
    fn a_changed_field_is_found() {
        let mut c = chain(5);
        c[2].detail = "{\"n\":99}".into();
        let head = c[4].hash.clone();
        assert_eq!(
            walk(&c, 5, &head),
            Err(Break::Changed {
                seq: 3,
                id: "id-3".into()
            })
        );
    }

    #[test]
    fn a_record_rehashed_after_a_change_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].action = "nothing".into();
        c[2].hash = hash(3, &c[2].prev_hash.clone(), &fields(&c[2]));
        let head = c[4].hash.clone();
        assert_eq!(
            walk(&c, 5, &head),
            Err(Break::Unlinked {
                seq: 4,
                id: "id-4".into()
            })
        );
    }

    #[test]
    fn a_deleted_record_is_found() {
        let mut c = chain(5);
        c.remove(1);
        let head = c[3].hash.clone();
        assert_eq!(
            walk(&c, 5, &head),
            Err(Break::Missing {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn records_cut_from_the_end_are_found() {
        let c = chain(5);
        let head = c[4].hash.clone();
        assert_eq!(
            walk(&c[..3], 5, &head),
            Err(Break::Truncated { last: 3, head: 5 })
        );
        // …and an end rewritten to match a moved head is not the stored head.
        assert_eq!(walk(&c[..3], 3, &head), Err(Break::HeadMismatch));
    }

    #[test]
    fn absent_and_empty_values_hash_differently() {
        let mut a = chain(1).remove(0);
        let with_none = hash(1, GENESIS, &fields(&a));
        a.object_id = Some(String::new());
        assert_ne!(with_none, hash(1, GENESIS, &fields(&a)));
    }

    #[test]
    fn a_trimmed_chain_verifies_from_its_anchor() {
        let c = chain(6);
        let mut w = Walk::new(2, &c[1].hash, 6);
        for o in &c[2..] {
            w.push(&Sealed {
                seq: o.seq,
                prev_hash: &o.prev_hash,
                hash: &o.hash,
                fields: fields(o),
            })
            .unwrap();
        }
        assert_eq!(w.finish(&c[5].hash), Ok(4));
    }

    proptest! {
        /// Any one changed character in any record's action or detail is found.
        #[test]
        fn any_edit_is_found(n in 1i64..12, pick in 0usize..100, at in 0usize..8, ch in "[a-z{}:0-9]") {
            let mut c = chain(n);
            let i = pick % c.len();
            let head = c[c.len() - 1].hash.clone();
            let target = if at % 2 == 0 { &mut c[i].detail } else { &mut c[i].action };
            let pos = at.min(target.len());
            let before = target.clone();
            target.insert_str(pos, &ch);
            prop_assume!(*target != before);
            prop_assert!(walk(&c, n, &head).is_err());
        }
    }
}
