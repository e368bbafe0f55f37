//! `/me/rules`: the owner's standing rules — requests Glassbox refuses for them without
//! asking. Refused requests still appear on the owner's pages, marked as refused by their rule.

use crate::api::rules::{load_standing_rules, SaveStandingRules};
use crate::components::error_view::ErrorView;
use crate::model::StandingRules;
use leptos::prelude::*;
use leptos_meta::Title;

/// One rule's checkbox, its label and what it does.
#[component]
fn RuleBox(
    #[prop(into)] name: String,
    checked: bool,
    label: String,
    hint: &'static str,
) -> impl IntoView {
    let id = format!("rule-{name}");
    let hint_id = format!("{id}-hint");
    view! {
        <p>
            <input type="checkbox" name=name id=id.clone() value="on" checked=checked aria-describedby=hint_id.clone()/>
            <label for=id>" "{label}</label>
            <br/><span class="choice-hint" id=hint_id>{hint}</span>
        </p>
    }
}

/// The standing rules page.
#[component]
pub fn StandingRulesPage() -> impl IntoView {
    let save = ServerAction::<SaveStandingRules>::new();
    let current = Resource::new(move || save.version().get(), |_| load_standing_rules());
    view! {
        <Title text="Standing rules — Glassbox"/>
        <h1>"Standing rules"</h1>
        <p class="lead">"Refuse some requests before anyone asks. A request one of your rules refuses is refused at once: you are not asked, the staff member is told which rule refused it, and it still appears in your requests, marked as refused by your rule."</p>
        {move || save.value().get().map(|r| match r {
            Ok(rules) => {
                let words = if rules.any() { "Saved: your rules apply to every new request." } else { "Saved: no rule is on; you are asked about every request." };
                view! { <p class="notice notice-success" role="status">{words}</p> }.into_any()
            }
            Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match current.await {
                    Ok(rules) => view! { <RulesForm action=save rules/> }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Transition>
        <p>"Rules apply to new requests only: a request waiting for you, or an access you allowed, stays as it is. Emergency (break-glass) requests are refused for everyone."</p>
    }
}

#[component]
fn RulesForm(action: ServerAction<SaveStandingRules>, rules: StandingRules) -> impl IntoView {
    // Named as `save_standing_rules` expects them: `refuse_<code>`.
    let codes = StandingRules::CODES.map(|code| {
        view! {
            <RuleBox name=format!("refuse_{}", code.as_str()) checked=rules.refuses_code(code)
                label=format!("Refuse requests given for \u{201c}{}\u{201d}", code.plain_words())
                hint="Whatever else the request says."/>
        }
    });
    view! {
        <ActionForm action=action attr:class="decision-form">
            <fieldset>
                <legend>"What to refuse"</legend>
                <RuleBox name="refuse_content" checked=rules.refuse_content
                    label="Never allow reading my messages".to_string()
                    hint="Refuses every request to read the text of your messages or their attachments. Requests for folder names, senders and dates are still asked."/>
                <RuleBox name="refuse_without_ticket" checked=rules.refuse_without_ticket
                    label="Refuse requests without a support ticket".to_string()
                    hint="Staff must name the support ticket the request is about."/>
                {codes.into_iter().collect_view()}
            </fieldset>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>"Save rules"</button>
        </ActionForm>
    }
}
