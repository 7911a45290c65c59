//! Memory-store bucket key that can be looked up by a borrowed `(route, client)` pair,
//! so a hit on an existing bucket allocates nothing (std `HashMap` has no
//! `get` by a different key type without this `Borrow<dyn Trait>` pattern).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// Borrowed or owned view of a bucket key, so lookups need no allocation.
pub(super) trait KeyView {
    fn route(&self) -> &str;
    fn client(&self) -> &str;
}

#[derive(Debug)]
pub(super) struct BucketKey {
    route: Box<str>,
    client: Box<str>,
}

impl BucketKey {
    pub(super) fn new((route, client): (&str, &str)) -> Self {
        Self {
            route: route.into(),
            client: client.into(),
        }
    }
}

impl KeyView for BucketKey {
    fn route(&self) -> &str {
        &self.route
    }
    fn client(&self) -> &str {
        &self.client
    }
}

impl KeyView for (&str, &str) {
    fn route(&self) -> &str {
        self.0
    }
    fn client(&self) -> &str {
        self.1
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for BucketKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.route().hash(state);
        self.client().hash(state);
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.route() == other.route() && self.client() == other.client()
    }
}

impl Eq for dyn KeyView + '_ {}

// Must hash and compare exactly like the borrowed view (Borrow contract).
impl Hash for BucketKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn KeyView).hash(state);
    }
}

impl PartialEq for BucketKey {
    fn eq(&self, other: &Self) -> bool {
        (self as &dyn KeyView) == (other as &dyn KeyView)
    }
}

impl Eq for BucketKey {}
