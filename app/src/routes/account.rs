//! An account: balance, nonce, code, and its transactions.

use leptos::prelude::*;

use super::{live_get, param};
use crate::{
    api::{Account, Page, Tx},
    components::{Hex, Loaded, eth},
    routes::tx::TxTable,
};

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
                    <dt>"Address"</dt><dd><Hex value=a.address/></dd>
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
            }}/>
            <h2>"Transactions"</h2>
            <Loaded resource=txs render={|page: Page<Tx>| view! { <TxTable txs=page.items/> }}/>
        </section>
    }
}
