//! An account: balance, nonce, code, and its transactions.

use leptos::prelude::*;

use super::{live_get, param};
use crate::{
    api::{Account, Page, Tx},
    components::{Hex, Loaded, eth},
    routes::tx::TxTable,
    verify::VerifyPanel,
};
use verifier::protocol::Task;

/// `/accounts/{address}`.
#[component]
pub fn AccountPage() -> impl IntoView {
    let address = param("address");
    let account = live_get::<Account>(move || {
        let address = address();
        format!("/accounts/{address}")
    });
    let txs = live_get::<Page<Tx>>(move || format!("/accounts/{}/txs", address()));
    view! {
        <section>
            <Loaded resource=account render={|a: Account| view! {
                <h1>"Account"</h1>
                <dl class="fields">
                    <dt>"Address"</dt><dd><Hex value=a.address.clone()/></dd>
                    <dt>"Balance"</dt><dd id="account-balance">{eth(&a.balance)}</dd>
                    <dt>"Nonce"</dt><dd>{a.nonce}</dd>
                    <dt>"Code"</dt><dd>{if a.code_size == 0 {
                        "none (an externally owned account)".to_owned()
                    } else {
                        format!("{} bytes", a.code_size)
                    }}</dd>
                    <dt>"Transactions"</dt><dd>{a.tx_count}</dd>
                    <dt>"As of block"</dt><dd>{a.block}</dd>
                </dl>
                <h2>"Verify"</h2>
                <p class="hint">"Checks balance, nonce and code hash with an EIP-1186 proof against the state root of the latest batch, which this browser verifies first."</p>
                {match a.address.parse() {
                    Ok(address) => view! { <VerifyPanel task=Task::Account { address, slots: Vec::new() }/> }.into_any(),
                    Err(_) => view! { <p class="error">"Not an address."</p> }.into_any(),
                }}
            }}/>
            <h2>"Transactions"</h2>
            <Loaded resource=txs render={|page: Page<Tx>| view! { <TxTable txs=page.items/> }}/>
        </section>
    }
}
