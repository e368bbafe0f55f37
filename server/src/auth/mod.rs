//! Who is signed in: the session store, the identity kept in a session, and the sign-in
//! and sign-out routes.

pub mod flow;
pub mod identity;
pub mod routes;
pub mod store;
