//! Talking to the outside world: the geocoder client that places rentals registered
//! without coordinates (and, later, webhook delivery from the outbox). Every outbound
//! call has a timeout and a failure leaves a recorded state, never a guess.

pub mod delivery;
pub mod geocoder;
pub mod month_ending;
pub mod outbox;
pub mod saved_search;
