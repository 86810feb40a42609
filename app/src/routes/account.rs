//! An account: balance, nonce, code, and its transactions.

use leptos::prelude::*;

use super::{live_get, param};
use crate::{
    api::{Account, Page, Tx},
    components::{Cell, Loaded, eth, field, field_id, fields},
    routes::tx::tx_table,
    verify::VerifyPanel,
};
use alloy_primitives::{Address, B256, U256};
use verifier::protocol::Task;

/// Storage slots typed as comma-separated numbers (decimal or 0x-hex); the first that is not one is
/// the error.
fn parse_slots(text: &str) -> Result<Vec<B256>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<U256>().map(B256::from).map_err(|_| s.to_owned()))
        .collect()
}

/// The fields of an account.
fn account_fields(a: Account) -> AnyView {
    let code = if a.code_size == 0 {
        "none (an externally owned account)".to_owned()
    } else {
        format!("{} bytes", a.code_size)
    };
    fields(
        "fields",
        vec![
            field("Address", Cell::hex(a.address)),
            field_id("Balance", "account-balance", Cell::Text(eth(&a.balance))),
            field("Nonce", Cell::text(a.nonce)),
            field("Code", Cell::Text(code)),
            field("Transactions", Cell::text(a.tx_count)),
            field("As of block", Cell::text(a.block)),
        ],
    )
}

/// `/accounts/{address}`.
#[component]
pub fn AccountPage() -> impl IntoView {
    let address = param("address");
    let account = live_get::<Account>(move || {
        let address = address();
        format!("/accounts/{address}")
    });
    let txs = live_get::<Page<Tx>>(move || format!("/accounts/{}/txs", address()));
    let slots = RwSignal::new(String::new());
    view! {
        <section>
            <Loaded resource=account render={|a: Account| view! {
                <h1>"Account"</h1>
                {account_fields(a)}
            }}/>
            // Outside the live-reloaded part, so that typing is never interrupted.
            <h2>"Verify"</h2>
            <p class="hint">"Checks balance, nonce, code hash and the storage slots given with an EIP-1186 proof against the state root of the latest batch, which this browser verifies first."</p>
            <label class="slots">"Storage slots to prove (comma-separated numbers): "
                <input id="proof-slots" type="text" placeholder="0x0, 0x1" bind:value=slots/>
            </label>
            {move || match (address().parse::<Address>(), parse_slots(&slots.get())) {
                (Ok(address), Ok(slots)) => view! { <VerifyPanel task=Task::Account { address, slots }/> }.into_any(),
                (Err(_), _) => view! { <p class="error">"Not an address."</p> }.into_any(),
                (_, Err(slot)) => view! { <p class="error">{format!("Not a storage slot: {slot}")}</p> }.into_any(),
            }}
            <h2>"Transactions"</h2>
            <Loaded resource=txs render={|page: Page<Tx>| tx_table(page.items)}/>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_slots_read_as_numbers() {
        assert_eq!(
            parse_slots(" 0x0, 5 ,"),
            Ok(vec![B256::ZERO, B256::with_last_byte(5)])
        );
        assert_eq!(parse_slots(""), Ok(vec![]));
        assert_eq!(parse_slots("0x1, zz"), Err("zz".to_owned()));
    }
}
