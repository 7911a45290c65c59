//! Schema-only types: how the views' plain fields are documented where the Rust type says less
//! than the API promises (ids and pages start at 1, timestamps are RFC 3339 text, name lists are sorted).
//! Fields name them with `#[schema(value_type = …, inline)]`.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

fn integer(minimum: u32) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
        .into()
}

/// A count or a total: zero or more.
pub struct Count;

impl PartialSchema for Count {
    fn schema() -> RefOr<Schema> {
        integer(0)
    }
}
impl ToSchema for Count {}

/// A row id, a page number or a page size: one or more.
pub struct Positive;

impl PartialSchema for Positive {
    fn schema() -> RefOr<Schema> {
        integer(1)
    }
}
impl ToSchema for Positive {}

/// A timestamp as the API writes it (`Ts::to_api`).
pub struct Timestamp;

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339, UTC, whole seconds"))
            .into()
    }
}
impl ToSchema for Timestamp {}

/// Permission or role names, sorted by byte order.
pub struct Names;

impl PartialSchema for Names {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::String))
            .description(Some("Sorted by byte order"))
            .into()
    }
}
impl ToSchema for Names {}

/// A parent role's id, or null.
pub struct ParentId;

impl PartialSchema for ParentId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .into()
    }
}
impl ToSchema for ParentId {}

/// A session id: a hyphenated UUID.
pub struct SessionId;

impl PartialSchema for SessionId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uuid".into())))
            .into()
    }
}
impl ToSchema for SessionId {}

fn date_time(schema_type: SchemaType) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(schema_type)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .into()
}

/// A session's timestamp (documented with the session, so without a description of its own).
pub struct Instant;

impl PartialSchema for Instant {
    fn schema() -> RefOr<Schema> {
        date_time(SchemaType::new(Type::String))
    }
}
impl ToSchema for Instant {}

/// An optional session timestamp.
pub struct NullableInstant;

impl PartialSchema for NullableInstant {
    fn schema() -> RefOr<Schema> {
        date_time(SchemaType::from_iter([Type::String, Type::Null]))
    }
}
impl ToSchema for NullableInstant {}
