//! The JSON form of what an application keeps across processes (a plan token, a pending
//! request): one version for all of them, checked when read back.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// The one format version this SDK writes and reads.
pub(crate) const VERSION: u32 = 1;

/// `value` as one line of JSON.
pub(crate) fn to_json(value: &impl Serialize) -> String {
    // Only structs of strings, lists and unit enums are kept: they always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

/// A kept `what` read back from JSON (its version is checked by [`check_version`]).
pub(crate) fn from_json<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|error| Error::invalid_input(format!("not {what}: {error}")))
}

/// Refuses a kept `what` of another version rather than misreading it.
pub(crate) fn check_version(version: u32, what: &str) -> Result<(), Error> {
    if version == VERSION {
        return Ok(());
    }
    Err(Error::invalid_input(format!(
        "{what} of version {version}: this SDK reads version {VERSION}"
    )))
}
