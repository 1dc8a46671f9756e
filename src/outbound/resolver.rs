//! Name resolution for the outbound client: resolve once, refuse the whole name if any
//! of its addresses is not allowed (a name that also points inside is not trusted with
//! the rest), and hand the checked addresses to the connector, which dials them
//! without resolving again, so a rebinding DNS server gets no second answer in.
use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::policy::{Policy, Refusal};

pub struct CheckedResolver {
    pub policy: Arc<Policy>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let unresolved = || Box::new(Refusal::Unresolved(host.clone())) as BoxError;
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await.map_err(|_| unresolved())?.collect();
            if addrs.is_empty() {
                return Err(unresolved());
            }
            let by_name = policy.name_allowed(&host);
            for a in &addrs {
                policy.check_ip(a.ip(), by_name).map_err(|r| Box::new(r) as BoxError)?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
