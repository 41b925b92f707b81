//! Header maps of the runtime's own, so that no HTTP-stack type crosses the
//! transport seam or the public API.

use std::fmt;

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// A header name or value that cannot travel on the wire (e.g. a value with
/// CR or LF). The value itself is never shown: it may be a credential.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("header `{name}` has an invalid name or value")]
pub struct InvalidHeader {
    /// The header's name, as given.
    pub name: String,
}

/// HTTP headers: case-insensitive names, several values per name.
///
/// ```
/// use clientgen_runtime::Headers;
///
/// let mut headers = Headers::new();
/// headers.append("X-Request-Id", "r-1")?;
/// headers.append("x-request-id", "r-2")?;
/// assert_eq!(headers.get("X-REQUEST-ID"), Some("r-1"));
/// assert_eq!(headers.get_all("x-request-id").collect::<Vec<_>>(), ["r-1", "r-2"]);
/// assert!(headers.insert("bad", "line\nbreak").is_err());
/// # Ok::<(), clientgen_runtime::InvalidHeader>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Headers(HeaderMap);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `name`, if present and visible ASCII.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.to_str().ok()
    }

    /// Every value of `name` that is visible ASCII, in the order received.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .get_all(name)
            .into_iter()
            .filter_map(|value| value.to_str().ok())
    }

    /// Whether `name` has a value.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Every `(name, value)` pair, names in lower case; values as bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `name` to `value`, replacing every value it had.
    pub fn insert(&mut self, name: &str, value: &str) -> Result<(), InvalidHeader> {
        let (name, value) = pair(name, value)?;
        self.0.insert(name, value);
        Ok(())
    }

    /// Adds `value` to the values of `name`.
    pub fn append(&mut self, name: &str, value: &str) -> Result<(), InvalidHeader> {
        let (name, value) = pair(name, value)?;
        self.0.append(name, value);
        Ok(())
    }

    /// Removes every value of `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }

    /// Sets `name` to a credential: replaces its values, and marks the
    /// value sensitive so that HTTP/2 never indexes it.
    pub(crate) fn insert_secret(&mut self, name: &str, value: &str) -> Result<(), InvalidHeader> {
        let (name, mut value) = pair(name, value)?;
        value.set_sensitive(true);
        self.0.insert(name, value);
        Ok(())
    }

    /// Sets every header of `other` here, replacing values of the same
    /// names: `other` takes precedence.
    pub(crate) fn overlay(&mut self, other: &Headers) {
        let mut last: Option<&HeaderName> = None;
        for (name, value) in &other.0 {
            if last != Some(name) {
                self.0.remove(name);
                last = Some(name);
            }
            self.0.append(name.clone(), value.clone());
        }
    }

    pub(crate) fn from_map(map: HeaderMap) -> Self {
        Self(map)
    }

    pub(crate) fn into_map(self) -> HeaderMap {
        self.0
    }
}

/// A checked header pair.
fn pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), InvalidHeader> {
    let invalid = || InvalidHeader {
        name: name.to_owned(),
    };
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let value = HeaderValue::from_str(value).map_err(|_| invalid())?;
    Ok((name, value))
}

impl fmt::Debug for Headers {
    /// Names only: values may be credentials or cookies.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.keys().map(HeaderName::as_str))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlay_replaces_every_value_of_its_names() {
        let mut base = Headers::new();
        base.append("x-a", "1").unwrap();
        base.append("x-a", "2").unwrap();
        base.append("x-b", "kept").unwrap();
        let mut top = Headers::new();
        top.append("X-A", "3").unwrap();
        top.append("x-a", "4").unwrap();
        base.overlay(&top);
        assert_eq!(base.get_all("x-a").collect::<Vec<_>>(), ["3", "4"]);
        assert_eq!(base.get("x-b"), Some("kept"));
        assert_eq!(base.len(), 3);
    }

    #[test]
    fn values_are_never_shown() {
        let mut headers = Headers::new();
        headers
            .insert_secret("authorization", "Bearer t0ken")
            .unwrap();
        let shown = format!("{headers:?}");
        assert_eq!(shown, r#"["authorization"]"#);
    }
}
