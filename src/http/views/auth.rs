//! The token answers of login and refresh.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::views::UserView;
use crate::service::auth::TokenPair;

// The one token type warden issues. (Plain comments: a doc comment would become the schema's
// description.)
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

// A fresh access and refresh token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenPairView {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(inline)]
    pub token_type: TokenType,
}

impl From<TokenPair> for TokenPairView {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            token_type: TokenType::Bearer,
        }
    }
}

/// Login: the tokens and the user they belong to.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    #[serde(flatten)]
    pub tokens: TokenPairView,
    pub user: UserView,
}
