//! # event-model
//!
//! The data contract of StreamLake, with no I/O and no AWS dependency:
//!
//! - [`validate`]: the raw playback-event contract (DESIGN §2) and validation that returns a
//!   [`ReasonCode`] for every kind of bad record;
//! - [`enums`] and [`country`]: the closed vocabularies;
//! - [`schema`]: the processed, quarantine and title tables (DESIGN §4) as column specs, from
//!   which both the Arrow schemas and the Glue types derive;
//! - [`titles`]: the title-dimension row.

pub mod country;
pub mod enums;
pub mod error;
pub mod reason;
pub mod schema;
pub mod titles;
pub mod validate;

pub use country::{parse_country, ISO_3166_ALPHA2};
pub use enums::{DeviceType, EventType};
pub use error::{Error, Result};
pub use reason::ReasonCode;
pub use schema::{ColumnSpec, ColumnType, TableSpec, PROCESSED_EVENTS, QUARANTINED_EVENTS, TITLES};
pub use titles::{ContentType, Title};
pub use validate::{
    utc_date, validate_record, Rejection, ValidEvent, Validated, ValidationPolicy, MAX_RECORD_BYTES,
};
