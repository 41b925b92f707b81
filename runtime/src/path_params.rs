//! A request's path parameters, encoded into its path as they are given.
//!
//! A generated method gives its path parameters in the order of its
//! template's placeholders. Each value is then encoded straight after the
//! template's text before its placeholder, so that the path is complete when
//! the last one is given: one string for the whole path (allocated once with
//! room for typical values), none per value, and no lookup by name. A value
//! given out of that order (by hand), or for a template scanned at each call,
//! is kept by name and filled in when the URL is built. Whichever way, the
//! first value given for a name is the one used.

use std::fmt;

use crate::error::InvalidRequestReason;
use crate::path_template::PathTemplate;
use crate::request::written;
use crate::target_url::write_encoded;

/// Room the path gets beyond its template's text when its first value is
/// given: enough for most values without growing.
const VALUE_ROOM: usize = 48;

/// The path parameters of one request.
#[derive(Default)]
pub(crate) struct PathParams {
    /// The template up to the last placeholder filled in order, each value
    /// encoded in place of its placeholder.
    filled: String,
    /// How many of the template's placeholders `filled` holds.
    count: usize,
    /// Values given out of template order, by name, as written.
    named: Vec<(&'static str, String)>,
}

/// Where a request's path comes from once all its values are given.
pub(crate) enum Path<'a> {
    /// Every placeholder is filled in `filled`; the template's tail still
    /// follows.
    Filled { filled: &'a mut String },
    /// Some values were given by name: placeholders from `from` on are
    /// looked up there (all of them, for a scanned template).
    Named {
        filled: &'a str,
        from: usize,
        named: &'a [(&'static str, String)],
    },
}

impl PathParams {
    /// Gives the value of the placeholder `name` of `template`. A value
    /// that would leave its segment empty or make it `.` or `..` is refused,
    /// as URL normalisation would remove the segment and change the route.
    pub(crate) fn give(
        &mut self,
        template: &PathTemplate,
        name: &'static str,
        value: &dyn fmt::Display,
    ) -> Result<(), InvalidRequestReason> {
        let Some((literal, _)) = template
            .placeholder(self.count)
            .filter(|&(_, next)| next == name && !self.is_named(name))
        else {
            return self.give_by_name(template, name, value);
        };
        if self.filled.capacity() == 0 {
            self.filled.reserve(template.text().len() + VALUE_ROOM);
        }
        self.filled.push_str(literal);
        let start = self.filled.len();
        self.count += 1;
        if write_encoded(&mut self.filled, value).is_err() {
            return Err(InvalidRequestReason::unwritable(name));
        }
        match &self.filled[start..] {
            "" | "." | ".." => Err(InvalidRequestReason::PathParameter { name }),
            _ => Ok(()),
        }
    }

    /// Keeps a value given out of template order, to be looked up by name,
    /// unless a value for `name` was filled in already.
    #[cold]
    #[inline(never)]
    fn give_by_name(
        &mut self,
        template: &PathTemplate,
        name: &'static str,
        value: &dyn fmt::Display,
    ) -> Result<(), InvalidRequestReason> {
        let filled = (0..self.count).any(|index| {
            template
                .placeholder(index)
                .is_some_and(|(_, filled)| filled == name)
        });
        if filled {
            return Ok(());
        }
        self.named.push((name, written(name, value)?));
        Ok(())
    }

    /// Whether a value for `name` is kept by name.
    fn is_named(&self, name: &str) -> bool {
        self.named.iter().any(|(named, _)| *named == name)
    }

    /// The path's parts, for the URL to be built from, once: the caller
    /// may take the filled path.
    pub(crate) fn path(&mut self, template: &PathTemplate) -> Path<'_> {
        if template.count() == Some(self.count) {
            Path::Filled {
                filled: &mut self.filled,
            }
        } else {
            Path::Named {
                filled: &self.filled,
                from: self.count,
                named: &self.named,
            }
        }
    }

    /// The names given, in the order of `template` then as given.
    pub(crate) fn names(&self, template: &PathTemplate) -> Vec<&'static str> {
        (0..self.count)
            .filter_map(|index| template.placeholder(index).map(|(_, name)| name))
            .chain(self.named.iter().map(|(name, _)| *name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(template: &PathTemplate, pairs: &[(&'static str, &str)]) -> PathParams {
        let mut params = PathParams::default();
        for (name, value) in pairs {
            params.give(template, name, value).unwrap();
        }
        params
    }

    #[test]
    fn values_in_template_order_are_encoded_in_place() {
        let template = PathTemplate::split("/orgs/{org}/users/{id}/files");
        let mut params = given(&template, &[("org", "a b"), ("id", "ü/1")]);
        assert_eq!(params.names(&template), ["org", "id"]);
        let Path::Filled { filled } = params.path(&template) else {
            panic!("filled in order");
        };
        assert_eq!(filled, "/orgs/a%20b/users/%C3%BC%2F1");
        assert!(params.named.is_empty());
    }

    #[test]
    fn values_out_of_order_are_kept_by_name() {
        let template = PathTemplate::split("/orgs/{org}/users/{id}");
        let mut params = given(&template, &[("id", "7"), ("org", "acme")]);
        assert_eq!(params.names(&template), ["org", "id"]);
        let Path::Named {
            filled,
            from,
            named,
        } = params.path(&template)
        else {
            panic!("one value by name");
        };
        assert_eq!((filled, from), ("/orgs/acme", 1));
        assert_eq!(named, [("id", "7".to_owned())]);
    }

    #[test]
    fn a_scanned_template_takes_every_value_by_name() {
        let template = PathTemplate::split("/items/{id}?action=archive");
        let mut params = given(&template, &[("id", "3")]);
        assert!(matches!(
            params.path(&template),
            Path::Named {
                filled: "",
                from: 0,
                named: [("id", _)]
            }
        ));
    }

    #[test]
    fn values_that_would_vanish_from_the_path_are_refused() {
        let template = PathTemplate::split("/r/{id}");
        for value in ["", ".", ".."] {
            let mut params = PathParams::default();
            assert_eq!(
                params.give(&template, "id", &value),
                Err(InvalidRequestReason::PathParameter { name: "id" }),
                "{value:?}"
            );
        }
        let mut params = PathParams::default();
        assert_eq!(params.give(&template, "id", &"..."), Ok(()));
    }

    /// A value whose `Display` fails is refused.
    #[test]
    fn a_failing_display_is_refused() {
        struct Broken;
        impl fmt::Display for Broken {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Err(fmt::Error)
            }
        }
        let template = PathTemplate::split("/r/{id}/{other}");
        let refused = |name: &str| Err(InvalidRequestReason::Value { name: name.into() });
        let mut params = PathParams::default();
        assert_eq!(params.give(&template, "id", &Broken), refused("id"));
        let mut params = PathParams::default();
        assert_eq!(params.give(&template, "other", &Broken), refused("other"));
    }

    /// The whole path fits in the room reserved with the first value.
    #[test]
    fn a_typical_path_is_one_allocation() {
        let template = PathTemplate::split("/namespaces/{namespace}/keys/{key}");
        let params = given(
            &template,
            &[("namespace", "billing"), ("key", "max-retries")],
        );
        assert_eq!(params.filled.capacity(), template.text().len() + VALUE_ROOM);
    }
}
