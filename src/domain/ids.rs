//! One id type per table, so a user id can never be passed where an organisation id
//! is expected. All are UUID v7, stored as TEXT.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Reads an id stored by this service; a malformed one is corrupt data.
            pub fn from_db(s: &str) -> Result<Self, uuid::Error> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    )*};
}

id_type!(OrganizationId, UserId, ApiKeyId);

// The records an add-on claim rests on (論点６): clients, information-sharing meetings,
// joint guidance sessions with a 居住支援法人 and reports to the 協議会.
id_type!(ClientId, MeetingId, GuidanceSessionId, CouncilReportId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let id = UserId::new();
        let back: UserId = id.to_string().parse().unwrap();
        assert_eq!(id, back);
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = OrganizationId::new();
        let b = OrganizationId::new();
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn a_malformed_id_is_rejected() {
        assert!("not-a-uuid".parse::<ApiKeyId>().is_err());
    }
}
