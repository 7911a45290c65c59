//! The token answers of login and refresh.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::views::UserView;
use crate::service::auth::TokenPair;

/// A fresh access and refresh token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPairView {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
}

impl From<TokenPair> for TokenPairView {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            token_type: "Bearer",
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
