//! Lowering JSON Schemas to IR types: where a `oneOf`, an `allOf`, a
//! nullable or an enum becomes Rust.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::ir::{EnumVariant, Field, TaggedVariant, TypeDef, TypeKind, TypeRef, UntaggedVariant};
use crate::naming::{Names, pascal, snake};
use crate::spec::{At, lookup, resolve};

/// The state of lowering one document's schemas.
pub(crate) struct Types<'a> {
    root: &'a Value,
    /// Rust names of component schemas, by pointer, assigned up front.
    named: BTreeMap<String, String>,
    /// Discriminator properties to leave out of variant structs, by pointer.
    tags: BTreeMap<String, String>,
    /// Names in use.
    names: Names,
    /// Lowered types, by name.
    pub(crate) defs: BTreeMap<String, TypeDef>,
    /// Component pointers being lowered (for recursion).
    lowering: BTreeSet<String>,
    /// Names of inline schemas already lowered, by pointer, so a schema
    /// reached twice (e.g. through a shared response) is one type.
    inline: BTreeMap<String, String>,
    /// Component schemas that could not be lowered, with the reason.
    failed: BTreeMap<String, Diagnostic>,
    /// Inline types by shape, so identical inline schemas share one type.
    shapes: BTreeMap<String, String>,
    /// Inline string enums (property name, values) that several schemas
    /// declare alike (FastAPI's `Literal`s): named after the property.
    shared_enums: BTreeSet<(String, Vec<String>)>,
    /// Notes for the docs of types lowered other than the spec says, by
    /// name.
    notes: BTreeMap<String, String>,
}

impl<'a> Types<'a> {
    /// Names every component schema of `root`.
    pub(crate) fn new(root: &'a Value, reserved: &[&str]) -> Self {
        let mut names = Names::with_taken(reserved.iter().copied());
        let mut named = BTreeMap::new();
        let schemas = At::root(root)
            .get("components")
            .map_or_else(Vec::new, |c| c.entries("schemas"));
        let keys: BTreeSet<&str> = schemas.iter().map(|(key, _)| *key).collect();
        let mut enum_uses: BTreeMap<(String, Vec<String>), usize> = BTreeMap::new();
        for (_, schema) in &schemas {
            for (property, value) in schema.entries("properties") {
                if let Some(values) = inline_enum_values(value.value) {
                    *enum_uses.entry((property.to_owned(), values)).or_default() += 1;
                }
            }
        }
        let shared_enums = enum_uses
            .into_iter()
            .filter(|(_, uses)| *uses > 1)
            .map(|(key, _)| key)
            .collect();
        for (key, schema) in &schemas {
            named.insert(
                schema.pointer().to_owned(),
                names.unique(&pascal(fastapi_output_name(key, &keys))),
            );
        }
        let mut tags = BTreeMap::new();
        collect_tags(root, root, &mut tags);
        Self {
            root,
            named,
            tags,
            names,
            defs: BTreeMap::new(),
            lowering: BTreeSet::new(),
            inline: BTreeMap::new(),
            failed: BTreeMap::new(),
            shapes: BTreeMap::new(),
            shared_enums,
            notes: BTreeMap::new(),
        }
    }

    /// `ty` with named aliases replaced by what they name (parameters are
    /// written by their shape: an alias of an array is an array).
    pub(crate) fn resolve_aliases(&self, ty: TypeRef) -> TypeRef {
        let mut current = ty;
        for _ in 0..16 {
            match &current {
                TypeRef::Named(name) => match self.defs.get(name).map(|def| &def.kind) {
                    Some(TypeKind::Alias(inner)) => current = inner.clone(),
                    _ => return current,
                },
                _ => return current,
            }
        }
        current
    }

    /// A type name not used yet, based on `base`.
    pub(crate) fn reserve_name(&mut self, base: &str) -> String {
        self.names.unique(&pascal(base))
    }

    /// Whether values of `ty` print as one parameter value (see
    /// [`TypeRef::is_scalar_like`]).
    pub(crate) fn is_scalar_like(&self, ty: &TypeRef, arrays: bool) -> bool {
        let lookup = |name: &str| self.defs.get(name).map(|def| &def.kind);
        ty.is_scalar_like(&lookup, arrays)
    }

    /// Whether `ty` is a union of scalars and arrays of scalars (`oneOf:
    /// [integer, array of integer]`), which no object style writes.
    pub(crate) fn is_scalar_union(&self, ty: &TypeRef) -> bool {
        match ty {
            TypeRef::Named(name) => match self.defs.get(name).map(|def| &def.kind) {
                Some(TypeKind::Untagged { variants }) => variants
                    .iter()
                    .all(|variant| self.is_scalar_like(&variant.ty, true)),
                _ => false,
            },
            _ => false,
        }
    }

    /// Lowers every component schema; one that cannot be lowered is left
    /// out with a warning (and so is whatever depends on it).
    pub(crate) fn lower_components(&mut self) -> Vec<Diagnostic> {
        let components: Vec<(String, String)> = self
            .named
            .iter()
            .map(|(pointer, name)| (pointer.clone(), name.clone()))
            .collect();
        let mut warnings = Vec::new();
        for (pointer, name) in components {
            if let Err(diagnostic) = self.ensure_component(&pointer, &name) {
                warnings.push(Diagnostic::warning(
                    &diagnostic.pointer,
                    format!("schema `{name}` skipped: {}", diagnostic.message),
                    diagnostic.help,
                ));
            }
        }
        warnings
    }

    fn ensure_component(&mut self, pointer: &str, name: &str) -> Result<(), Diagnostic> {
        if let Some(failure) = self.failed.get(pointer) {
            return Err(failure.clone());
        }
        if self.defs.contains_key(name) || self.lowering.contains(pointer) {
            return Ok(());
        }
        let at = lookup(self.root, pointer, "#")?;
        self.lowering.insert(pointer.to_owned());
        let result = self.lower_definition(&at, name);
        self.lowering.remove(pointer);
        match result {
            Ok(def) => {
                self.defs.insert(name.to_owned(), def);
                Ok(())
            }
            Err(failure) => {
                self.failed.insert(pointer.to_owned(), failure.clone());
                Err(failure)
            }
        }
    }

    /// The type of the schema at `at`; inline objects, enums and unions
    /// become named types called `hint`.
    pub(crate) fn type_of(&mut self, at: &At<'a>, hint: &str) -> Result<TypeRef, Diagnostic> {
        let nullable = is_nullable(at.value);
        let ty = self.non_null_type(at, hint)?;
        Ok(
            if nullable && !matches!(ty, TypeRef::Nullable(_) | TypeRef::Json) {
                TypeRef::Nullable(Box::new(ty))
            } else {
                ty
            },
        )
    }

    fn non_null_type(&mut self, at: &At<'a>, hint: &str) -> Result<TypeRef, Diagnostic> {
        if let Some(reference) = at.str("$ref") {
            let target = lookup(self.root, reference, at.pointer())?;
            // Schemas from other files are named like components, by their key.
            if !self.named.contains_key(target.pointer())
                && target
                    .pointer()
                    .starts_with(&format!("#/{}/", crate::bundle::EXTERNAL_KEY))
            {
                let key = target.pointer().rsplit('/').next().unwrap_or("External");
                let name = self.names.unique(&pascal(key));
                self.named.insert(target.pointer().to_owned(), name);
            }
            if let Some(name) = self.named.get(target.pointer()).cloned() {
                self.ensure_component(target.pointer(), &name)?;
                return Ok(TypeRef::Named(name));
            }
            let target = resolve(self.root, target)?;
            return self.type_of(&target, hint);
        }
        let value = at.value;
        if let Some(members) = union_members(at) {
            let non_null: Vec<At<'a>> = members
                .into_iter()
                .filter(|member| !is_null_schema(member.value))
                .collect();
            if non_null.len() == 1 && at.get("discriminator").is_none() {
                return self.type_of(&non_null[0], hint);
            }
            if non_null.is_empty() {
                return Ok(TypeRef::Json);
            }
            return self.named_inline(at, hint);
        }
        if at.get("allOf").is_some() {
            let members = at.items("allOf");
            if members.len() == 1 && !has_properties(value) {
                return self.type_of(&members[0], hint);
            }
            return self.named_inline(at, hint);
        }
        if is_string_enum(value) || string_const(value).is_some() {
            return self.named_inline(at, hint);
        }
        match primary_type(value) {
            Some("string") => Ok(string_type(value)),
            Some("integer") => Ok(match value.get("format").and_then(Value::as_str) {
                Some("int32") => TypeRef::I32,
                Some("uint32") => TypeRef::U32,
                Some("uint64") => TypeRef::U64,
                _ => TypeRef::I64,
            }),
            Some("number") => Ok(match value.get("format").and_then(Value::as_str) {
                Some("float") => TypeRef::F32,
                _ => TypeRef::F64,
            }),
            Some("boolean") => Ok(TypeRef::Bool),
            Some("null") => Ok(TypeRef::Json),
            Some("array") => {
                let item = match at.get("items") {
                    Some(items) => self.type_of(&items, &format!("{hint}Item"))?,
                    None => TypeRef::Json,
                };
                Ok(TypeRef::Array(Box::new(item)))
            }
            Some("object") | None if has_properties(value) => self.named_inline(at, hint),
            Some("object") | None => match at.get("additionalProperties") {
                Some(extra) if extra.value.is_object() => {
                    let item = self.type_of(&extra, &format!("{hint}Value"))?;
                    Ok(TypeRef::Map(Box::new(item)))
                }
                _ if primary_type(value) == Some("object") => {
                    Ok(TypeRef::Map(Box::new(TypeRef::Json)))
                }
                _ => Ok(TypeRef::Json),
            },
            Some(_) => Ok(TypeRef::Json),
        }
    }

    /// A named type for an inline schema.
    fn named_inline(&mut self, at: &At<'a>, hint: &str) -> Result<TypeRef, Diagnostic> {
        if let Some(name) = self.inline.get(at.pointer()) {
            return Ok(TypeRef::Named(name.clone()));
        }
        let name = self.names.unique(&pascal(hint));
        self.inline.insert(at.pointer().to_owned(), name.clone());
        let def = match self.lower_definition(at, &name) {
            Ok(def) => def,
            Err(failure) => {
                self.inline.remove(at.pointer());
                return Err(failure);
            }
        };
        // An inline schema identical to one already lowered is that type.
        let shape = format!("{:?}", def.kind);
        if let Some(existing) = self.shapes.get(&shape) {
            let existing = existing.clone();
            self.inline
                .insert(at.pointer().to_owned(), existing.clone());
            return Ok(TypeRef::Named(existing));
        }
        self.shapes.insert(shape, name.clone());
        self.defs.insert(name.clone(), def);
        Ok(TypeRef::Named(name))
    }

    /// The definition of the type called `name` for the schema at `at`.
    fn lower_definition(&mut self, at: &At<'a>, name: &str) -> Result<TypeDef, Diagnostic> {
        let kind = self.lower_kind(at, name)?;
        let docs = match (description(at.value), self.notes.remove(name)) {
            (Some(docs), Some(note)) => Some(format!("{docs}\n\n{note}")),
            (docs, note) => docs.or(note),
        };
        Ok(TypeDef {
            name: name.to_owned(),
            pointer: at.pointer().to_owned(),
            docs,
            kind,
            shared: false,
        })
    }

    fn lower_kind(&mut self, at: &At<'a>, name: &str) -> Result<TypeKind, Diagnostic> {
        if at.str("$ref").is_some() {
            // Fails on reference loops, which would make aliases of each other.
            resolve(self.root, at.clone())?;
            return Ok(TypeKind::Alias(self.type_of(at, &format!("{name}Target"))?));
        }
        let all_of = at.items("allOf");
        if all_of.len() == 1 && !has_properties(at.value) {
            return Ok(TypeKind::Alias(
                self.type_of(&all_of[0], &format!("{name}Value"))?,
            ));
        }
        if let Some(members) = union_members(at) {
            let non_null: Vec<At<'a>> = members
                .into_iter()
                .filter(|member| !is_null_schema(member.value))
                .collect();
            if let Some(discriminator) = at.get("discriminator") {
                let tag = discriminator.str("propertyName").unwrap_or_default();
                let values: Vec<_> = non_null
                    .iter()
                    .map(|member| {
                        member_tag_values(self.root, discriminator.value, member.value, tag)
                    })
                    .collect();
                if !tag.is_empty() && values_overlap(&values) {
                    self.notes.insert(
                        name.to_owned(),
                        format!(
                            "The members' `{tag}` values do not tell them apart (one stands for several, \
                             two share one, or one declares none), so the member is found by trying each \
                             in order (the first that fits wins), and each keeps its `{tag}` field."
                        ),
                    );
                    return self.lower_untagged(&non_null, name);
                }
                return self.lower_tagged(&discriminator, &non_null, name);
            }
            if non_null.len() == 1 {
                return Ok(TypeKind::Alias(
                    self.type_of(&non_null[0], &format!("{name}Value"))?,
                ));
            }
            return self.lower_untagged(&non_null, name);
        }
        if let Some(value) = string_const(at.value) {
            return Ok(TypeKind::Enum {
                variants: vec![EnumVariant {
                    name: if value.is_empty() {
                        "Empty".to_owned()
                    } else {
                        pascal(value)
                    },
                    wire: value.to_owned(),
                }],
                closed: true,
            });
        }
        if is_string_enum(at.value) {
            return Ok(lower_enum(at.value));
        }
        if at.get("allOf").is_some() || has_properties(at.value) {
            return self.lower_struct(at, name);
        }
        Ok(TypeKind::Alias(
            self.non_null_type(at, &format!("{name}Value"))?,
        ))
    }

    fn lower_struct(&mut self, at: &At<'a>, name: &str) -> Result<TypeKind, Diagnostic> {
        let mut properties = Vec::new();
        let mut required = BTreeSet::new();
        self.collect_properties(at, &mut properties, &mut required, 0)?;
        let skip = self.tags.get(at.pointer()).cloned();
        let mut names = Names::default();
        let mut fields = Vec::new();
        let mut seen = BTreeSet::new();
        for (wire, property) in properties {
            if skip.as_deref() == Some(wire.as_str()) || !seen.insert(wire.clone()) {
                continue;
            }
            let alike = inline_enum_values(property.value)
                .is_some_and(|values| self.shared_enums.contains(&(wire.clone(), values)));
            let hint = if alike {
                pascal(&wire)
            } else {
                format!("{name}{}", pascal(&wire))
            };
            let ty = self.type_of(&property, &hint)?;
            let link = property.flag("x-frontend-link");
            let docs = description(property.value).or_else(|| {
                resolve(self.root, property.clone())
                    .ok()
                    .and_then(|target| description(target.value))
            });
            let default = property
                .get("default")
                .map(|default| default.value.clone())
                .filter(|default| !default.is_null());
            fields.push(Field {
                name: names.unique(&snake(&wire)),
                required: required.contains(&wire),
                wire,
                ty,
                docs,
                link,
                default,
            });
        }
        Ok(TypeKind::Struct { fields })
    }

    /// Properties of an object schema, merging `allOf` members in order.
    fn collect_properties(
        &mut self,
        at: &At<'a>,
        properties: &mut Vec<(String, At<'a>)>,
        required: &mut BTreeSet<String>,
        depth: usize,
    ) -> Result<(), Diagnostic> {
        if depth > 32 {
            return Err(Diagnostic::error(
                at.pointer(),
                "`allOf` nests more than 32 levels (a cycle through `allOf`?)",
                "an object cannot contain itself through `allOf`; break the cycle",
            ));
        }
        let at = resolve(self.root, at.clone())?;
        for member in at.items("allOf") {
            self.collect_properties(&member, properties, required, depth + 1)?;
        }
        for (key, property) in at.entries("properties") {
            properties.push((key.to_owned(), property));
        }
        for item in at.items("required") {
            if let Some(key) = item.value.as_str() {
                required.insert(key.to_owned());
            }
        }
        Ok(())
    }

    fn lower_tagged(
        &mut self,
        discriminator: &At<'a>,
        members: &[At<'a>],
        name: &str,
    ) -> Result<TypeKind, Diagnostic> {
        let Some(tag) = discriminator.str("propertyName") else {
            return Err(Diagnostic::error(
                discriminator.pointer(),
                "a discriminator needs a `propertyName`",
                "add `propertyName:` naming the property that tells the variants apart",
            ));
        };
        let mapping = mapping_by_target(discriminator);
        let mut names = Names::with_taken(["Unknown"]);
        let mut variants = Vec::new();
        for member in members {
            let (wire, ty) = match member.str("$ref") {
                Some(reference) => {
                    let target = lookup(self.root, reference, member.pointer())?;
                    let component = reference.rsplit('/').next().unwrap_or(reference);
                    // The mapping, else the one value the member's tag
                    // property declares, else the component's name.
                    let wire = mapping.get(target.pointer()).cloned().unwrap_or_else(|| {
                        match declared_tag_values(self.root, member.value, tag, 0).as_deref() {
                            Some([value]) => value.clone(),
                            _ => component.to_owned(),
                        }
                    });
                    let ty = self.type_of(member, &format!("{name}{}", pascal(&wire)))?;
                    (wire, ty)
                }
                None => {
                    // An inline member names its tag value in the tag property.
                    let Some(wire) = inline_tag_value(self.root, member, tag, 0) else {
                        return Err(Diagnostic::error(
                            member.pointer(),
                            format!(
                                "an inline member of a discriminated `oneOf` must declare its `{tag}` value"
                            ),
                            format!(
                                "give the member's `{tag}` property `enum: [value]` or `const: value`, or make it a `$ref` to a named schema"
                            ),
                        ));
                    };
                    self.tags
                        .insert(member.pointer().to_owned(), tag.to_owned());
                    let ty = self.type_of(member, &format!("{name}{}", pascal(&wire)))?;
                    (wire, ty)
                }
            };
            if variants
                .iter()
                .any(|variant: &TaggedVariant| variant.wire == wire)
            {
                return Err(Diagnostic::error(
                    member.pointer(),
                    format!(
                        "two members of a discriminated `oneOf` share the `{tag}` value `{wire}`"
                    ),
                    "give each member its own discriminator value (or a `mapping`)",
                ));
            }
            variants.push(TaggedVariant {
                name: names.unique(&pascal(&wire)),
                wire,
                ty,
            });
        }
        Ok(TypeKind::Tagged {
            tag: tag.to_owned(),
            variants,
        })
    }

    fn lower_untagged(&mut self, members: &[At<'a>], name: &str) -> Result<TypeKind, Diagnostic> {
        let mut names = Names::default();
        let mut variants = Vec::new();
        for (index, member) in members.iter().enumerate() {
            let ty = self.type_of(member, &format!("{name}Variant{index}"))?;
            let variant = names.unique(&variant_name(&ty));
            variants.push(UntaggedVariant { name: variant, ty });
        }
        Ok(TypeKind::Untagged { variants })
    }
}

/// The discriminator value an inline union member declares for `tag`
/// (`enum: [value]` or `const: value` on the tag property, possibly through
/// `allOf` members and `$ref`s).
fn inline_tag_value(root: &Value, member: &At<'_>, tag: &str, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let member = resolve(root, member.clone()).ok()?;
    if let Some(property) = member.get("properties").and_then(|p| p.get(tag)) {
        let property = resolve(root, property).ok()?;
        let value = property
            .value
            .get("const")
            .or_else(|| property.value.get("enum").and_then(|values| values.get(0)))
            .and_then(Value::as_str);
        if let Some(value) = value {
            return Some(value.to_owned());
        }
    }
    member
        .items("allOf")
        .iter()
        .find_map(|part| inline_tag_value(root, part, tag, depth + 1))
}

/// Every discriminator value a union member stands for: the `mapping`
/// keys that name it, else the values its tag property declares (`const`,
/// or each of an `enum`, through `allOf` and `$ref`s), else for a `$ref`
/// the component's name; `None` for an inline member that declares none.
fn member_tag_values(
    root: &Value,
    discriminator: &Value,
    member: &Value,
    tag: &str,
) -> Option<Vec<String>> {
    let reference = member.get("$ref").and_then(Value::as_str);
    if let Some(reference) = reference {
        let mapped: Vec<String> = discriminator
            .get("mapping")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, target)| target.as_str() == Some(reference))
            .map(|(value, _)| value.clone())
            .collect();
        if !mapped.is_empty() {
            return Some(mapped);
        }
    }
    declared_tag_values(root, member, tag, 0).or_else(|| {
        reference
            .map(|reference| vec![reference.rsplit('/').next().unwrap_or(reference).to_owned()])
    })
}

/// The values a schema's tag property declares (`const`, or an `enum`'s
/// strings), through `allOf` members and `$ref`s.
fn declared_tag_values(
    root: &Value,
    schema: &Value,
    tag: &str,
    depth: usize,
) -> Option<Vec<String>> {
    if depth > 8 {
        return None;
    }
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => lookup(root, reference, "#").ok()?.value,
        None => schema,
    };
    if let Some(property) = schema.get("properties").and_then(|p| p.get(tag)) {
        let property = match property.get("$ref").and_then(Value::as_str) {
            Some(reference) => lookup(root, reference, "#").ok()?.value,
            None => property,
        };
        if let Some(value) = property.get("const").and_then(Value::as_str) {
            return Some(vec![value.to_owned()]);
        }
        let values: Vec<String> = property
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if !values.is_empty() {
            return Some(values);
        }
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|part| declared_tag_values(root, part, tag, depth + 1))
}

/// Whether the members' discriminator values do not tell them apart: one
/// stands for several values, two share one (DigitalOcean's actions,
/// OpenAI's filters), or an inline member declares none (DigitalOcean's
/// domain records, whose mapping points into files that were not
/// bundled). Such a union is tried member by member instead.
fn values_overlap(values: &[Option<Vec<String>>]) -> bool {
    let mut seen = BTreeSet::new();
    values.iter().any(|values| match values {
        None => true,
        Some(values) => values.len() > 1 || values.iter().any(|value| !seen.insert(value.clone())),
    })
}

/// The members of a `oneOf` or `anyOf`, if the schema is one.
fn union_members<'a>(at: &At<'a>) -> Option<Vec<At<'a>>> {
    ["oneOf", "anyOf"]
        .into_iter()
        .find(|key| at.value.get(*key).is_some_and(Value::is_array))
        .map(|key| at.items(key))
}

fn has_properties(value: &Value) -> bool {
    value
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|properties| !properties.is_empty())
}

/// The schema's one non-null `type` (3.0 string or 3.1 array form).
fn primary_type(value: &Value) -> Option<&str> {
    match value.get("type")? {
        Value::String(ty) => Some(ty),
        Value::Array(types) => {
            let non_null: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|ty| *ty != "null")
                .collect();
            match non_null.as_slice() {
                [one] => Some(one),
                [] => Some("null"),
                _ => Some("any"),
            }
        }
        _ => None,
    }
}

/// Whether `null` is allowed: `nullable: true`, a `null` in a type array,
/// or a `{type: null}` member of a union.
pub(crate) fn is_nullable(value: &Value) -> bool {
    if value.get("nullable").and_then(Value::as_bool) == Some(true) {
        return true;
    }
    if let Some(Value::Array(types)) = value.get("type") {
        return types.iter().any(|ty| ty.as_str() == Some("null"));
    }
    ["oneOf", "anyOf"].into_iter().any(|key| {
        value
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|members| members.iter().any(is_null_schema))
    })
}

fn is_null_schema(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("null")
        || value
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| values.len() == 1 && values[0].is_null())
}

/// The values of an inline string enum (not a `$ref`).
fn inline_enum_values(value: &Value) -> Option<Vec<String>> {
    if value.get("$ref").is_some() || !is_string_enum(value) {
        return None;
    }
    let values = value.get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// FastAPI (pydantic) splits a model whose input and output differ into
/// `X-Input` and `X-Output`: the output, what callers read, is named `X`
/// when no schema is called that; the input keeps its suffix (`XInput`).
fn fastapi_output_name<'k>(key: &'k str, keys: &BTreeSet<&str>) -> &'k str {
    match key.strip_suffix("-Output") {
        Some(base) if keys.contains(format!("{base}-Input").as_str()) && !keys.contains(base) => {
            base
        }
        _ => key,
    }
}

/// The value of a string `const` (`const: v1`, or a one-value `enum` is
/// not one: it may grow).
fn string_const(value: &Value) -> Option<&str> {
    let text = value.get("const")?.as_str()?;
    matches!(primary_type(value), None | Some("string")).then_some(text)
}

fn is_string_enum(value: &Value) -> bool {
    value
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| {
            values.iter().any(Value::is_string)
                && values.iter().all(|v| v.is_string() || v.is_null())
        })
}

fn string_type(value: &Value) -> TypeRef {
    match value.get("format").and_then(Value::as_str) {
        Some("date-time") => TypeRef::DateTime,
        Some("date") => TypeRef::Date,
        Some("uuid") => TypeRef::Uuid,
        Some("byte") => TypeRef::Base64,
        _ => TypeRef::String,
    }
}

fn lower_enum(value: &Value) -> TypeKind {
    let mut names = Names::with_taken(["Unknown"]);
    let variants = value
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|wire| EnumVariant {
            name: names.unique(&if wire.is_empty() {
                "Empty".to_owned()
            } else {
                pascal(wire)
            }),
            wire: wire.to_owned(),
        })
        .collect();
    TypeKind::Enum {
        variants,
        closed: false,
    }
}

/// A description for rustdoc (titles are skipped: FastAPI's repeat the name).
pub(crate) fn description(value: &Value) -> Option<String> {
    value
        .get("description")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// A variant name for an untagged union member.
fn variant_name(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => name.clone(),
        TypeRef::String => "String".to_owned(),
        TypeRef::Bool => "Boolean".to_owned(),
        TypeRef::I32 | TypeRef::I64 | TypeRef::U32 | TypeRef::U64 => "Integer".to_owned(),
        TypeRef::F32 | TypeRef::F64 => "Number".to_owned(),
        TypeRef::DateTime => "DateTime".to_owned(),
        TypeRef::Date => "Date".to_owned(),
        TypeRef::Uuid => "Uuid".to_owned(),
        TypeRef::Base64 | TypeRef::Bytes => "Bytes".to_owned(),
        TypeRef::Json => "Value".to_owned(),
        TypeRef::Array(item) => format!("{}List", variant_name(item)),
        TypeRef::Map(item) => format!("{}Map", variant_name(item)),
        TypeRef::Nullable(inner) | TypeRef::Boxed(inner) => variant_name(inner),
    }
}

/// `discriminator.mapping` inverted: target pointer -> discriminator value.
fn mapping_by_target(discriminator: &At<'_>) -> BTreeMap<String, String> {
    discriminator
        .entries("mapping")
        .into_iter()
        .filter_map(|(value, target)| {
            let reference = target.value.as_str()?;
            let pointer = reference.strip_prefix('#').map(|p| format!("#{p}"))?;
            Some((pointer, value.to_owned()))
        })
        .collect()
}

/// Finds every discriminated union in the document and records, for each
/// member schema, the discriminator property the enum's tag replaces.
fn collect_tags(root: &Value, value: &Value, tags: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            let tag = map
                .get("discriminator")
                .and_then(|d| d.get("propertyName"))
                .and_then(Value::as_str);
            let members: Vec<&Value> = ["oneOf", "anyOf"]
                .into_iter()
                .flat_map(|key| map.get(key).and_then(Value::as_array).into_iter().flatten())
                .collect();
            let overlapping = tag.is_some_and(|tag| {
                let discriminator = map.get("discriminator").unwrap_or(&Value::Null);
                let values: Vec<_> = members
                    .iter()
                    .map(|member| member_tag_values(root, discriminator, member, tag))
                    .collect();
                values_overlap(&values)
            });
            if let Some(tag) = tag.filter(|_| !overlapping) {
                {
                    for member in members {
                        if let Some(reference) = member.get("$ref").and_then(Value::as_str)
                            && let Ok(target) = lookup(root, reference, "#")
                        {
                            tags.insert(target.pointer().to_owned(), tag.to_owned());
                        }
                    }
                }
            }
            for child in map.values() {
                collect_tags(root, child, tags);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_tags(root, item, tags);
            }
        }
        _ => {}
    }
}
