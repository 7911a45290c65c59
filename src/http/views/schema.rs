//! Schema-only types: how the views' plain fields are documented where the Rust type says less
//! than the API promises (ids and pages start at 1, timestamps are RFC 3339 text, name lists are
//! sorted). Fields name them with `#[schema(value_type = …, inline)]`.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A unit struct whose only purpose is the schema `$schema`.
macro_rules! schema_only {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {}
    };
}

fn integer(minimum: u32) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
        .into()
}

fn date_time(schema_type: SchemaType, description: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(schema_type)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(description)
        .into()
}

schema_only!(
    /// A count or a total: zero or more.
    Count => integer(0)
);

schema_only!(
    /// A row id, a page number or a page size: one or more.
    Positive => integer(1)
);

schema_only!(
    /// A timestamp as the API writes it (`Ts::to_api`).
    Timestamp => date_time(SchemaType::new(Type::String), Some("RFC 3339, UTC, whole seconds"))
);

schema_only!(
    /// A session's timestamp (documented with the session, so without a description of its own).
    Instant => date_time(SchemaType::new(Type::String), None)
);

schema_only!(
    /// An optional session timestamp.
    NullableInstant => date_time(SchemaType::from_iter([Type::String, Type::Null]), None)
);

schema_only!(
    /// Permission or role names, sorted by byte order.
    Names => ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .description(Some("Sorted by byte order"))
        .into()
);

schema_only!(
    /// A parent role's id, or null.
    ParentId => ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .into()
);

schema_only!(
    /// A session id: a hyphenated UUID.
    SessionId => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .into()
);

schema_only!(
    /// A role with its own permissions always present: the OpenAPI component of that name
    /// (`http::openapi::schemas` builds it from `RoleView`); views refer to it by name.
    RoleWithPermissions => <crate::http::views::RoleView as PartialSchema>::schema()
);
