//! One test per lowering rule, on small inline documents.

use super::lower;
use crate::ir::{
    HttpMethod, ParamLocation, SecurityScheme, Service, StatusMatch, Success, TypeDef, TypeKind,
    TypeRef,
};
use crate::load::load_str;

fn service(yaml: &str) -> Service {
    let document = load_str("test.yaml", yaml).expect("loads");
    lower(&document, "test").expect("lowers").0
}

fn components(schemas: &str) -> Service {
    service(&format!(
        "openapi: 3.1.0\ninfo: {{title: T, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{schemas}"
    ))
}

fn def<'a>(service: &'a Service, name: &str) -> &'a TypeDef {
    service
        .types
        .iter()
        .find(|def| def.name == name)
        .unwrap_or_else(|| panic!("no type {name} in {:?}", names(service)))
}

fn names(service: &Service) -> Vec<&str> {
    service.types.iter().map(|def| def.name.as_str()).collect()
}

fn fields(def: &TypeDef) -> Vec<(&str, &TypeRef, bool)> {
    match &def.kind {
        TypeKind::Struct { fields } => fields
            .iter()
            .map(|f| (f.name.as_str(), &f.ty, f.required))
            .collect(),
        other => panic!("{} is not a struct: {other:?}", def.name),
    }
}

fn nullable(ty: TypeRef) -> TypeRef {
    TypeRef::Nullable(Box::new(ty))
}

#[test]
fn every_null_pattern_becomes_option() {
    let service = components(
        "    N:
      type: object
      required: [a, b, c, d]
      properties:
        a: {anyOf: [{type: string}, {type: 'null'}]}
        b: {type: [integer, 'null']}
        c: {type: string, nullable: true}
        d: {oneOf: [{$ref: '#/components/schemas/M'}, {type: 'null'}]}
    M: {type: object, properties: {x: {type: string}}}
",
    );
    assert_eq!(
        fields(def(&service, "N")),
        [
            ("a", &nullable(TypeRef::String), true),
            ("b", &nullable(TypeRef::I64), true),
            ("c", &nullable(TypeRef::String), true),
            ("d", &nullable(TypeRef::Named("M".into())), true),
        ]
    );
}

#[test]
fn all_of_merges_properties_and_required_in_order() {
    let service = components(
        "    Base: {type: object, required: [id], properties: {id: {type: string}}}
    Full:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          required: [name]
          properties: {name: {type: string}, note: {type: string}}
",
    );
    assert_eq!(
        fields(def(&service, "Full")),
        [
            ("id", &TypeRef::String, true),
            ("name", &TypeRef::String, true),
            ("note", &TypeRef::String, false),
        ]
    );
}

#[test]
fn a_discriminated_one_of_is_tagged_and_variants_lose_the_tag_field() {
    let service = components(
        "    Pet:
      oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]
      discriminator: {propertyName: kind, mapping: {cat: '#/components/schemas/Cat'}}
    Cat: {type: object, required: [kind], properties: {kind: {type: string}, lives: {type: integer}}}
    Dog: {type: object, required: [kind], properties: {kind: {type: string}}}
",
    );
    let TypeKind::Tagged { tag, variants } = &def(&service, "Pet").kind else {
        panic!("Pet is not tagged");
    };
    assert_eq!(tag, "kind");
    let wires: Vec<_> = variants
        .iter()
        .map(|v| (v.name.as_str(), v.wire.as_str()))
        .collect();
    assert_eq!(wires, [("Cat", "cat"), ("Dog", "Dog")]);
    assert_eq!(
        fields(def(&service, "Cat")),
        [("lives", &TypeRef::I64, false)]
    );
}

#[test]
fn an_undiscriminated_union_is_untagged_with_readable_variant_names() {
    let service = components(
        "    Id: {oneOf: [{type: string}, {type: integer}, {$ref: '#/components/schemas/Ref'}]}
    Ref: {type: object, properties: {id: {type: string}}}
",
    );
    let TypeKind::Untagged { variants } = &def(&service, "Id").kind else {
        panic!("Id is not untagged");
    };
    let variant_names: Vec<_> = variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(variant_names, ["String", "Integer", "Ref"]);
}

#[test]
fn recursive_types_are_boxed_only_where_needed() {
    let service = components(
        "    Node:
      type: object
      properties:
        parent: {$ref: '#/components/schemas/Node'}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
    A: {type: object, properties: {b: {$ref: '#/components/schemas/B'}}}
    B: {type: object, properties: {a: {anyOf: [{$ref: '#/components/schemas/A'}, {type: 'null'}]}}}
",
    );
    let node = TypeRef::Named("Node".into());
    assert_eq!(
        fields(def(&service, "Node")),
        [
            ("parent", &TypeRef::Boxed(Box::new(node.clone())), false),
            ("children", &TypeRef::Array(Box::new(node)), false),
        ]
    );
    assert_eq!(
        fields(def(&service, "B")),
        [(
            "a",
            &nullable(TypeRef::Boxed(Box::new(TypeRef::Named("A".into())))),
            false
        )]
    );
}

#[test]
fn inline_schemas_get_stable_names_from_their_place() {
    let service = components(
        "    Order:
      type: object
      properties:
        status: {type: string, enum: [open, shipped]}
        address: {type: object, properties: {city: {type: string}}}
        lines: {type: array, items: {type: object, properties: {sku: {type: string}}}}
",
    );
    assert_eq!(
        names(&service),
        ["Order", "OrderAddress", "OrderLinesItem", "OrderStatus"]
    );
}

#[test]
fn enums_rename_odd_values_and_reserve_the_fallback() {
    let service =
        components("    S: {type: string, enum: [in-progress, DONE, '2fa', unknown, '']}\n");
    let TypeKind::Enum { variants, .. } = &def(&service, "S").kind else {
        panic!("S is not an enum");
    };
    let pairs: Vec<_> = variants
        .iter()
        .map(|v| (v.name.as_str(), v.wire.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("InProgress", "in-progress"),
            ("Done", "DONE"),
            ("N2fa", "2fa"),
            ("Unknown2", "unknown"),
            ("Empty", "")
        ]
    );
}

#[test]
fn scalar_formats_map_to_rust_types() {
    let service = components(
        "    F:
      type: object
      required: [a, b, c, d, e, f, g, h, i, j]
      properties:
        a: {type: integer, format: int32}
        b: {type: integer}
        c: {type: number, format: float}
        d: {type: number}
        e: {type: string, format: date-time}
        f: {type: string, format: date}
        g: {type: string, format: uuid}
        h: {type: string, format: byte}
        i: {type: object, additionalProperties: {type: integer}}
        j: {}
",
    );
    let types: Vec<_> = fields(def(&service, "F"))
        .into_iter()
        .map(|(_, ty, _)| ty.clone())
        .collect();
    assert_eq!(
        types,
        [
            TypeRef::I32,
            TypeRef::I64,
            TypeRef::F32,
            TypeRef::F64,
            TypeRef::DateTime,
            TypeRef::Date,
            TypeRef::Uuid,
            TypeRef::Base64,
            TypeRef::Map(Box::new(TypeRef::I64)),
            TypeRef::Json,
        ]
    );
}

#[test]
fn operations_order_path_params_and_derive_missing_ids() {
    let service = service(
        "openapi: 3.0.3
info: {title: T, version: '1'}
security: [{bearer: []}]
paths:
  /orgs/{org}/users/{user-id}:
    parameters:
      - {name: user-id, in: path, required: true, schema: {type: string}}
    get:
      parameters:
        - {name: verbose, in: query, schema: {type: boolean}}
        - {name: org, in: path, required: true, schema: {type: integer}}
        - {name: Idempotency-Key, in: header, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}}}}
        '201': {description: created, content: {application/json: {schema: {type: integer}}}}
        '404': {description: no, content: {application/json: {schema: {type: object, properties: {m: {type: string}}}}}}
        4XX: {description: bad, content: {application/json: {schema: {type: string}}}}
      security: [{}, {key: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: query, name: api_key}
",
    );
    let operation = &service.operations[0];
    assert_eq!(operation.id, "get_orgs_by_org_users_by_user-id");
    assert_eq!(operation.method_name, "get_orgs_by_org_users_by_user_id");
    assert_eq!(operation.http_method, HttpMethod::Get);
    let params: Vec<_> = operation
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.location, p.required))
        .collect();
    assert_eq!(
        params,
        [
            ("org", ParamLocation::Path, true),
            ("user_id", ParamLocation::Path, true),
            ("verbose", ParamLocation::Query, false),
            ("idempotency_key", ParamLocation::Header, false),
        ]
    );
    assert_eq!(
        operation.idempotency_header.as_deref(),
        Some("Idempotency-Key")
    );
    assert!(matches!(&operation.success, Success::Several { variants, .. } if variants.len() == 2));
    let statuses: Vec<_> = operation.errors.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [StatusMatch::Code(404), StatusMatch::Class(4)]);
    assert_eq!(
        operation.security,
        [[SecurityScheme::ApiKeyQuery("api_key".into())]]
    );
    assert!(operation.security_optional);
}

#[test]
fn link_fields_become_json_pointers() {
    let service = service(
        "openapi: 3.1.0
info: {title: T, version: '1'}
paths:
  /n:
    post:
      operationId: send
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                url: {type: string, x-frontend-link: true}
                actions:
                  type: array
                  items: {type: object, properties: {href: {type: string, x-frontend-link: true}}}
      responses: {'204': {description: ok}}
",
    );
    assert_eq!(
        service.operations[0].link_fields,
        ["/url", "/actions/*/href"]
    );
    assert_eq!(service.operations[0].success, Success::Empty);
}

#[test]
fn module_names_never_clash_with_the_crate_root() {
    for (spec, module) in [
        ("lib", "lib_service"),
        ("runtime", "runtime_service"),
        ("Leaves-Wallet", "leaves_wallet"),
        ("mod", "mod_service"),
    ] {
        let document = load_str(
            "t.yaml",
            "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n",
        )
        .expect("loads");
        assert_eq!(
            lower(&document, spec).expect("lowers").0.module,
            module,
            "{spec}"
        );
    }
}

#[test]
fn fastapi_input_and_output_pairs_name_the_output_plainly() {
    let service = components(
        "    Item-Input: {type: object, properties: {name: {type: string}}}\n    Item-Output: {type: object, required: [name], properties: {name: {type: string}}}\n    Other-Output: {type: object, properties: {a: {type: string}}}\n",
    );
    assert_eq!(names(&service), ["Item", "ItemInput", "OtherOutput"]);
}

#[test]
fn an_inline_enum_several_schemas_declare_alike_is_named_after_its_property() {
    let service = components(
        "    Balance: {type: object, properties: {leave_type: {type: string, enum: [annual, sick]}}}\n    Debit: {type: object, properties: {leave_type: {type: string, enum: [annual, sick]}, kind: {type: string, enum: [a, b]}}}\n",
    );
    assert_eq!(
        names(&service),
        ["Balance", "Debit", "DebitKind", "LeaveType"]
    );
    let leave = |def: &TypeDef| fields(def)[0].1.clone();
    assert_eq!(
        leave(def(&service, "Balance")),
        TypeRef::Named("LeaveType".to_owned())
    );
}
