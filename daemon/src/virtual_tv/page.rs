//! The virtual TV's page: the frame, the remote and the card buttons.
//!
//! Every button has an id (`key-ok`, `key-1`, `dock-insert-0`,
//! `dock-remove`, `card-insert-04A1B2C3`, `card-remove`), for people and
//! for the browser tests. The page's script keeps `data-screen` on
//! `<body>`, the `#screen` caption (the title) and `#text` (the screen's
//! other text) up to date with the screen shown.

use axum::extract::State;
use axum::response::Html;

use super::Shared;
use super::dock::Listing;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn button(id: &str, path: &str, label: &str, class: &str) -> String {
    format!(
        r#"<form method="post" action="{path}"><button id="{id}" class="{class}">{}</button></form>"#,
        escape(label)
    )
}

fn remote() -> String {
    let mut remote = String::new();
    let key = |name: &str, label: &str, class: &str| {
        button(
            &format!("key-{name}"),
            &format!("/key/{name}"),
            label,
            class,
        )
    };
    for (name, label) in [
        ("blue", "青"),
        ("red", "赤"),
        ("green", "緑"),
        ("yellow", "黄"),
    ] {
        remote.push_str(&key(name, label, name));
    }
    remote.push_str("<br>");
    remote.push_str(&key("up", "▲", "arrow"));
    remote.push_str("<br>");
    for (name, label) in [("left", "◀"), ("ok", "決定"), ("right", "▶")] {
        remote.push_str(&key(name, label, "arrow"));
    }
    remote.push_str("<br>");
    remote.push_str(&key("down", "▼", "arrow"));
    remote.push_str(&key("back", "戻る", "arrow"));
    remote.push_str("<br>");
    for d in 1..=12 {
        remote.push_str(&key(&d.to_string(), &d.to_string(), "digit"));
        if d % 3 == 0 {
            remote.push_str("<br>");
        }
    }
    remote.push_str(&key("0", "0", "digit"));
    remote.push_str(&key("red-hold", "赤を長押し（SOS）", "red"));
    remote.push_str(&key("call-button", "呼出ボタン（長押し）", "red"));
    remote
}

/// The dock's cards as buttons; what the dock said when it could not list
/// them.
fn dock_buttons(url: &str, listing: Result<Listing, String>) -> String {
    let mut html = String::new();
    match listing {
        Ok(listing) => {
            html.push_str(&format!(
                r#"<p class="note">模擬カード（{}）: {}</p>"#,
                escape(url),
                escape(&listing.reader)
            ));
            for card in &listing.cards {
                let what = match (card.kind.as_str(), &card.pin) {
                    ("jpki", Some(pin)) => format!("マイナンバーカード・暗証番号 {pin}"),
                    ("jpki", None) => "マイナンバーカード".to_owned(),
                    ("uid", _) => "お試しカード".to_owned(),
                    _ => "読めないカード".to_owned(),
                };
                html.push_str(&button(
                    &format!("dock-insert-{}", card.id),
                    &format!("/dock/insert/{}", card.id),
                    &format!("カードを入れる: {}（{what}）", card.label),
                    &format!("card {}", card.kind),
                ));
            }
        }
        Err(why) => html.push_str(&format!(
            r#"<p class="note" id="dock-error">カードの模擬装置につながりません: {}</p>"#,
            escape(&why)
        )),
    }
    html.push_str(&button(
        "dock-remove",
        "/dock/remove",
        "カードを抜く",
        "card",
    ));
    html
}

/// The residents' trial cards, handed straight to the loop.
fn direct_buttons(cards: &[(String, String)]) -> String {
    let mut html = String::new();
    for (label, uid) in cards {
        html.push_str(&button(
            &format!("card-insert-{uid}"),
            &format!("/card/insert/{uid}"),
            &format!("カードを入れる: {label}"),
            "card",
        ));
    }
    html.push_str(&button(
        "card-insert-0000000000",
        "/card/insert/0000000000",
        "登録されていないカード",
        "card",
    ));
    html.push_str(&button(
        "card-remove",
        "/card/remove",
        "カードを抜く",
        "card",
    ));
    html
}

pub(super) async fn page(State(shared): State<Shared>) -> Html<String> {
    let (cards, title, text) = {
        let state = shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (
            state.cards.clone(),
            state.title.clone(),
            state.text.join(" / "),
        )
    };
    let card_buttons = match &shared.dock {
        Some(dock) => dock_buttons(dock.url(), dock.cards().await.map_err(|e| e.to_string())),
        None => direct_buttons(&cards),
    };
    let remote = remote();
    let (title, text) = (escape(&title), escape(&text));
    Html(format!(
        r#"<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>見守り 仮想テレビ</title>
<style>body{{font-family:sans-serif;background:#222;color:#eee;display:flex;gap:24px;padding:16px}}
img{{width:960px;border:8px solid #000;border-radius:8px}} form{{display:inline}}
button{{font-size:20px;margin:4px;min-width:64px;padding:8px;border-radius:8px}}
.blue{{background:#1e5bd8;color:#fff}}.red{{background:#c62828;color:#fff}}.green{{background:#2e7d32;color:#fff}}.yellow{{background:#f9c800}}
.card{{display:block;width:100%;text-align:left}}.note{{color:#bbb;font-size:14px}}</style></head>
<body data-screen=""><div><img id="tv" src="/frame.png" alt="TV"><p id="screen">{title}</p><p id="text" class="note">{text}</p><p>キーボード: 矢印, Enter=決定, Backspace=戻る, 0–9, b/r/g/y=色ボタン</p></div>
<div><h2>リモコン</h2>{remote}<h2>カード</h2>{card_buttons}</div>
<script>
let version=-1;
async function poll(){{try{{const s=await (await fetch('/state')).json();if(s.version!==version){{version=s.version;document.getElementById('tv').src='/frame.png?v='+version;document.body.dataset.screen=s.screen;document.getElementById('screen').textContent=s.title;document.getElementById('text').textContent=s.text.join(' / ');}}}}catch(e){{}}setTimeout(poll,250);}}
poll();
let queue=Promise.resolve();
function send(url){{queue=queue.then(()=>fetch(url,{{method:'POST',redirect:'manual'}})).then(r=>{{if(r.status>=400)r.text().then(t=>alert(t));}}).catch(()=>{{}});}}
document.querySelectorAll('form').forEach(f=>f.addEventListener('submit',e=>{{e.preventDefault();send(f.action);}}));
const keys={{ArrowUp:'up',ArrowDown:'down',ArrowLeft:'left',ArrowRight:'right',Enter:'ok',Backspace:'back',b:'blue',r:'red',g:'green',y:'yellow'}};
document.addEventListener('keydown',e=>{{let k=keys[e.key]||(/^[0-9]$/.test(e.key)?e.key:null);if(k){{e.preventDefault();send('/key/'+k);}}}});
</script></body></html>"#
    ))
}
