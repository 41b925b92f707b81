//! Parameter values as a fake receives them (text in a path segment, a
//! query, a header), read back into the operation's typed parameters: the
//! target type says how a text is parsed (a number, a boolean, an enum
//! value, a list split at its delimiter, an object of `key,value` pairs).

use serde::de::value::{Error, MapDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{self, Deserializer, IntoDeserializer, Visitor};

/// A received value, before its type reads it.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Not sent: an `Option` reads it as `None`, anything else refuses it.
    Missing,
    /// Nothing sent where a list or an object writes nothing when empty
    /// (an exploded list, a spread object): an `Option` reads `None`, a
    /// list or an object reads empty.
    Empty,
    /// One text.
    Text(Text),
    /// Several values of one name (an exploded query array).
    List(Vec<Node>),
    /// Named values (`deepObject` brackets, an exploded `form` object).
    Map(Vec<(String, Node)>),
}

/// One text and how a list or an object is written in it.
#[derive(Clone, Debug)]
pub(crate) struct Text {
    /// The text.
    pub(crate) text: String,
    /// What separates a list's items (`,`, or ` ` and `|` for the
    /// delimited query styles); `None` for an item of a list, which is
    /// never split again.
    pub(crate) delimiter: Option<char>,
    /// Whether an object is written `k=v,k2=v2` (exploded) rather than
    /// `k,v,k2,v2`.
    pub(crate) explode: bool,
    /// Whether a type that does not say what it wants (an untagged union,
    /// an enum with a fallback variant) gets a number or a boolean when the
    /// text reads as one; otherwise, always the text.
    pub(crate) guess: bool,
}

impl Text {
    /// `text` in the `simple` style.
    pub(crate) fn simple(text: impl Into<String>, explode: bool) -> Self {
        Self {
            text: text.into(),
            delimiter: Some(','),
            explode,
            guess: true,
        }
    }

    /// One item of a list, or a value that is never a list.
    pub(crate) fn item(text: &str) -> Node {
        Self::item_guessing(text, true)
    }

    /// An item, `guess`ing numbers and booleans or not.
    fn item_guessing(text: &str, guess: bool) -> Node {
        Node::Text(Self {
            text: text.to_owned(),
            delimiter: None,
            explode: false,
            guess,
        })
    }

    /// Whether the text holds several items.
    fn is_list(&self) -> bool {
        self.delimiter
            .is_some_and(|delimiter| self.text.contains(delimiter))
    }

    fn items(&self) -> Vec<Node> {
        match self.delimiter {
            _ if self.text.is_empty() => Vec::new(),
            Some(delimiter) => self
                .text
                .split(delimiter)
                .map(|item| Text::item_guessing(item, self.guess))
                .collect(),
            None => vec![Text::item_guessing(&self.text, self.guess)],
        }
    }

    fn pairs(&self) -> Result<Vec<(String, Node)>, Error> {
        let mut pairs = Vec::new();
        if self.text.is_empty() {
            return Ok(pairs);
        }
        if self.explode {
            for item in self.text.split(',') {
                let (key, value) = item.split_once('=').ok_or_else(|| {
                    de::Error::custom(format!("`{item}` is not a `key=value` pair"))
                })?;
                pairs.push((key.to_owned(), Text::item_guessing(value, self.guess)));
            }
        } else {
            let mut items = self.text.split(',');
            while let Some(key) = items.next() {
                let value = items
                    .next()
                    .ok_or_else(|| de::Error::custom(format!("`{key}` has no value")))?;
                pairs.push((key.to_owned(), Text::item_guessing(value, self.guess)));
            }
        }
        Ok(pairs)
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, Error> {
        self.text
            .parse()
            .map_err(|_| de::Error::custom(format!("`{}` is not {what}", self.text)))
    }
}

impl Node {
    /// The same values, given to untyped readers as text (for a second
    /// reading when guessing numbers and booleans found no match).
    pub(crate) fn as_strings(&self) -> Node {
        match self {
            Node::Missing => Node::Missing,
            Node::Empty => Node::Empty,
            Node::Text(text) => Node::Text(Text {
                guess: false,
                ..text.clone()
            }),
            Node::List(items) => Node::List(items.iter().map(Node::as_strings).collect()),
            Node::Map(pairs) => Node::Map(
                pairs
                    .iter()
                    .map(|(key, value)| (key.clone(), value.as_strings()))
                    .collect(),
            ),
        }
    }
}

impl<'de> IntoDeserializer<'de, Error> for Node {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Reads a text as the scalar a visitor asks for.
macro_rules! parsed {
    ($($method:ident => $visit:ident as $what:literal),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self {
                Node::Text(text) => visitor.$visit(text.parse($what)?),
                Node::List(items) if items.len() == 1 => {
                    items.into_iter().next().unwrap_or(Node::Missing).$method(visitor)
                }
                other => other.deserialize_any(visitor),
            }
        })*
    };
}

impl<'de> Deserializer<'de> for Node {
    type Error = Error;

    /// Without a type to go by (an untagged union, a JSON value): a list
    /// when the text holds several items, a number or a boolean when it
    /// reads as one, else the text.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Missing | Node::Empty => Err(de::Error::custom("it is missing")),
            Node::Text(text) if text.is_list() => {
                visitor.visit_seq(SeqDeserializer::new(text.items().into_iter()))
            }
            Node::Text(text) if !text.guess => visitor.visit_string(text.text),
            Node::Text(text) => {
                if let Ok(number) = text.text.parse::<i64>() {
                    visitor.visit_i64(number)
                } else if let Ok(number) = text.text.parse::<u64>() {
                    visitor.visit_u64(number)
                } else if let Ok(number) = text.text.parse::<f64>() {
                    visitor.visit_f64(number)
                } else if let Ok(flag) = text.text.parse::<bool>() {
                    visitor.visit_bool(flag)
                } else {
                    visitor.visit_string(text.text)
                }
            }
            Node::List(items) if items.len() == 1 => items
                .into_iter()
                .next()
                .unwrap_or(Node::Missing)
                .deserialize_any(visitor),
            Node::List(items) => visitor.visit_seq(SeqDeserializer::new(items.into_iter())),
            Node::Map(pairs) => visitor.visit_map(MapDeserializer::new(pairs.into_iter())),
        }
    }

    parsed! {
        deserialize_bool => visit_bool as "a boolean",
        deserialize_i8 => visit_i8 as "an integer",
        deserialize_i16 => visit_i16 as "an integer",
        deserialize_i32 => visit_i32 as "an integer",
        deserialize_i64 => visit_i64 as "an integer",
        deserialize_u8 => visit_u8 as "an unsigned integer",
        deserialize_u16 => visit_u16 as "an unsigned integer",
        deserialize_u32 => visit_u32 as "an unsigned integer",
        deserialize_u64 => visit_u64 as "an unsigned integer",
        deserialize_f32 => visit_f32 as "a number",
        deserialize_f64 => visit_f64 as "a number",
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(text) => visitor.visit_string(text.text),
            Node::List(items) if items.len() == 1 => items
                .into_iter()
                .next()
                .unwrap_or(Node::Missing)
                .deserialize_str(visitor),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Missing | Node::Empty => visitor.visit_none(),
            present => visitor.visit_some(present),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Empty => visitor.visit_seq(SeqDeserializer::new(std::iter::empty::<Node>())),
            // A deeper value of a spread object, written as JSON text.
            Node::Text(text) if text.text.starts_with('[') && is_json(&text.text) => {
                serde_json::from_str::<serde_json::Value>(&text.text)
                    .and_then(|value| value.deserialize_seq(visitor))
                    .map_err(de::Error::custom)
            }
            Node::Text(text) => visitor.visit_seq(SeqDeserializer::new(text.items().into_iter())),
            Node::List(items) => visitor.visit_seq(SeqDeserializer::new(items.into_iter())),
            // `name[0]=a&name[1]=b`: the values in order of their index.
            Node::Map(mut pairs) => {
                pairs.sort_by_key(|(key, _)| key.parse::<usize>().unwrap_or(usize::MAX));
                let values = pairs.into_iter().map(|(_, value)| value);
                visitor.visit_seq(SeqDeserializer::new(values))
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Empty => {
                visitor.visit_map(MapDeserializer::new(std::iter::empty::<(String, Node)>()))
            }
            Node::Text(text) if text.text.starts_with('{') && is_json(&text.text) => {
                serde_json::from_str::<serde_json::Value>(&text.text)
                    .and_then(|value| value.deserialize_map(visitor))
                    .map_err(de::Error::custom)
            }
            Node::Text(text) => visitor.visit_map(MapDeserializer::new(text.pairs()?.into_iter())),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Node::Text(text) => {
                StrDeserializer::<Error>::new(&text.text).deserialize_enum(name, variants, visitor)
            }
            other => other.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        i128 u128 bytes byte_buf unit unit_struct tuple_struct identifier ignored_any
    }
}

/// Whether `text` is JSON.
fn is_json(text: &str) -> bool {
    serde_json::from_str::<de::IgnoredAny>(text).is_ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    fn read<T: for<'de> Deserialize<'de>>(node: Node) -> Result<T, Error> {
        T::deserialize(node)
    }

    fn text(value: &str) -> Node {
        Node::Text(Text::simple(value, false))
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Color {
        Blue,
        Green,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Filter {
        role: String,
        age: u32,
    }

    #[test]
    fn the_target_type_says_how_a_text_reads() {
        assert_eq!(read::<i64>(text("-7")).ok(), Some(-7));
        assert_eq!(read::<String>(text("007")).ok(), Some("007".to_owned()));
        assert_eq!(read::<bool>(text("true")).ok(), Some(true));
        assert_eq!(read::<Color>(text("green")).ok(), Some(Color::Green));
        assert_eq!(read::<Vec<u8>>(text("3,4,5")).ok(), Some(vec![3, 4, 5]));
        assert_eq!(read::<Option<u8>>(Node::Missing).ok(), Some(None));
        assert_eq!(read::<Option<u8>>(text("2")).ok(), Some(Some(2)));
        let uuid = "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10";
        assert_eq!(
            read::<uuid::Uuid>(text(uuid)).map(|id| id.to_string()).ok(),
            Some(uuid.to_owned())
        );
    }

    #[test]
    fn objects_lists_and_maps_read_as_they_were_written() {
        let pairs = Node::Text(Text::simple("role,admin,age,40", false));
        let exploded = Node::Text(Text::simple("role=admin,age=40", true));
        let expected = Filter {
            role: "admin".to_owned(),
            age: 40,
        };
        assert_eq!(read::<Filter>(pairs).ok().as_ref(), Some(&expected));
        assert_eq!(read::<Filter>(exploded).ok().as_ref(), Some(&expected));
        let deep = Node::Map(vec![
            ("age".to_owned(), text("40")),
            ("role".to_owned(), text("admin")),
        ]);
        assert_eq!(read::<Filter>(deep).ok().as_ref(), Some(&expected));
        let piped = Node::Text(Text {
            text: "blue|green".to_owned(),
            delimiter: Some('|'),
            explode: false,
            guess: true,
        });
        assert_eq!(
            read::<Vec<Color>>(piped).ok(),
            Some(vec![Color::Blue, Color::Green])
        );
        let repeated = Node::List(vec![text("1"), text("2")]);
        assert_eq!(read::<Vec<u16>>(repeated).ok(), Some(vec![1, 2]));
        let one = Node::List(vec![text("1")]);
        assert_eq!(read::<Vec<u16>>(one).ok(), Some(vec![1]));
        let indexed = Node::Map(vec![
            ("1".to_owned(), text("b")),
            ("0".to_owned(), text("a")),
        ]);
        assert_eq!(
            read::<Vec<String>>(indexed).ok(),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        let json = text(r#"{"a":1}"#);
        assert_eq!(
            read::<BTreeMap<String, u8>>(json).ok(),
            Some(BTreeMap::from([("a".to_owned(), 1)]))
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(untagged)]
    enum OneOrMany {
        One(i64),
        Many(Vec<i64>),
        Word(String),
    }

    #[test]
    fn an_untagged_union_reads_what_the_text_holds() {
        assert_eq!(read::<OneOrMany>(text("7")).ok(), Some(OneOrMany::One(7)));
        assert_eq!(
            read::<OneOrMany>(text("5,6")).ok(),
            Some(OneOrMany::Many(vec![5, 6]))
        );
        assert_eq!(
            read::<OneOrMany>(Node::List(vec![Text::item("5"), Text::item("6")])).ok(),
            Some(OneOrMany::Many(vec![5, 6]))
        );
        assert_eq!(
            read::<OneOrMany>(Text::item("b,c")).ok(),
            Some(OneOrMany::Word("b,c".to_owned())),
            "an item is not split again"
        );
    }

    #[test]
    fn what_does_not_read_says_why() {
        let message = |result: Result<u8, Error>| result.err().map(|error| error.to_string());
        assert_eq!(
            message(read(text("many"))).as_deref(),
            Some("`many` is not an unsigned integer")
        );
        assert_eq!(
            message(read(Node::Missing)).as_deref(),
            Some("it is missing")
        );
        assert!(read::<Color>(text("red")).is_err());
    }
}
