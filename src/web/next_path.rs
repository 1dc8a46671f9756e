//! Where to go after signing in (`?next=`): a path on this site, judged the way a
//! browser will read it. Browsers drop tabs and newlines from URLs and read `\` as `/`,
//! so `/\t/evil.example` or `/\evil.example` would leave the site; parsing the value
//! against the site's own URL with the same (WHATWG) rules and comparing origins
//! catches every such spelling.
use url::Url;

const MAX_LEN: usize = 2048;

/// `next` as a same-origin path (with its query and fragment), or None.
pub fn local(site_url: &str, next: &str) -> Option<String> {
    if next.len() > MAX_LEN || !next.starts_with('/') {
        return None;
    }
    let site = Url::parse(site_url).ok()?;
    let target = site.join(next).ok()?;
    if target.origin() != site.origin() {
        return None;
    }
    let mut out = target.path().to_owned();
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = target.fragment() {
        out.push('#');
        out.push_str(f);
    }
    // A path that itself begins with `//` would be read as another host.
    if out.starts_with("//") {
        return None;
    }
    Some(out)
}

/// `/login` with `next` carried along, percent-encoded.
pub fn login_link(next: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/login?next={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "https://chat.example.com";

    #[test]
    fn paths_on_this_site_are_kept() {
        assert_eq!(local(SITE, "/invite/inv_abc").as_deref(), Some("/invite/inv_abc"));
        assert_eq!(local(SITE, "/?c=1#m-2").as_deref(), Some("/?c=1#m-2"));
        assert_eq!(local(SITE, "/a b").as_deref(), Some("/a%20b"));
    }

    #[test]
    fn every_spelling_of_another_site_is_refused() {
        for away in [
            "//evil.example/x",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\\\t\\evil.example",
            "https://evil.example/",
            "/.//evil.example",
            "/%2F/evil.example/../..//x",
            "javascript:alert(1)",
            "",
            "evil.example",
        ] {
            let got = local(SITE, away);
            assert!(got.as_deref().is_none_or(|p| p.starts_with('/') && !p.starts_with("//")), "{away:?} → {got:?}");
            if let Some(p) = got {
                let reread = Url::parse(SITE).and_then(|s| s.join(&p)).map(|u| u.host_str().map(str::to_owned));
                assert_eq!(reread.ok().flatten().as_deref(), Some("chat.example.com"), "{away:?} → {p}");
            }
        }
        assert_eq!(local(SITE, "/\t/evil.example"), None);
        assert_eq!(local(SITE, "/\\evil.example"), None);
    }

    #[test]
    fn the_login_link_encodes_next() {
        assert_eq!(login_link("/invite/a\nb"), "/login?next=%2Finvite%2Fa%0Ab");
    }
}
