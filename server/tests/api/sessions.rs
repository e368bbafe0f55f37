//! Session lifetimes: each person's idle limit runs from their last use of the session,
//! is extended by use, and is never reset by a request that merely touches the session.

use crate::helpers::Options;
use time::Duration;

async fn short_limits() -> Option<Options> {
    Some(Options {
        seed: true,
        configure: Box::new(|s| {
            s.session.staff_idle_minutes = 1;
            s.session.owner_idle_minutes = 3;
        }),
    })
}

crate::on_both_databases_with!(
    short_limits(),
    async fn a_staff_session_in_use_stays_and_an_idle_one_ends_at_its_own_limit(app) {
        app.sign_in_as("Sam Rivera").await;
        // Used every 40 s for two minutes: longer than the 1-minute limit, never idle that long.
        for _ in 0..3 {
            app.clock.advance(Duration::seconds(40));
            assert_eq!(app.get_page("/staff").await.0, 200, "in use, so still signed in");
        }
        // Then idle for 61 s: signed out.
        app.clock.advance(Duration::seconds(61));
        assert_eq!(app.get_page("/staff").await.0, 401, "idle past the staff limit");
    }
);

crate::on_both_databases_with!(
    short_limits(),
    async fn a_sign_in_step_that_touches_the_session_does_not_give_staff_an_owners_lifetime(app) {
        app.sign_in_as("Sam Rivera").await;
        // An unauthenticated callback removes a key from the session, so it is saved.
        let res = app.get("/auth/callback?code=x&state=y").await;
        assert!(res.status().is_client_error(), "{}", res.status());
        // 75 s later: past the staff limit of 1 minute, within the owners' 3.
        app.clock.advance(Duration::seconds(75));
        assert_eq!(app.get_page("/staff").await.0, 401, "the staff limit still applies");
    }
);

crate::on_both_databases_with!(
    short_limits(),
    async fn an_owner_keeps_the_owners_limit(app) {
        app.sign_in_as("Alice Martin").await;
        app.clock.advance(Duration::seconds(150));
        assert_eq!(app.get_page("/me").await.0, 200, "within 3 minutes");
        app.clock.advance(Duration::seconds(181));
        let (status, _) = app.get_page("/me").await;
        assert_ne!(status, 200, "idle past the owners' limit");
    }
);
