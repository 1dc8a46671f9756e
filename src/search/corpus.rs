//! Synthetic but realistic chat text for the search benchmark: words drawn from a
//! Zipf distribution over an office-and-engineering vocabulary, ≈35 words a message,
//! some links, @mentions and Chinese or Japanese messages.
use rand::Rng;

const COMMON: &str = "the to and a of in is it you that for on we this be with are have i not can do \
    at if so but just will was as my your all me they get what up out about there one like go \
    think know need see now time today tomorrow yesterday morning afternoon week next last \
    good great thanks please sure yes no maybe ok okay right back still already also then \
    team meeting call sync notes agenda update status plan review feedback question answer \
    issue problem fix change version release deploy deployment rollback build test tests \
    staging production server service database query index cache queue worker job cluster \
    node pod container image kubernetes docker terraform config secret token auth login \
    customer client user users account billing invoice payment report dashboard metrics \
    alert alerts incident outage latency error errors timeout retry logs trace budget \
    roadmap quarter sprint ticket backlog estimate priority deadline launch design mockup \
    frontend backend api endpoint schema migration branch merge commit pull request \
    documentation wiki draft proposal contract legal hiring interview onboarding lunch \
    coffee office remote travel vacation holiday weekend birthday welcome congrats";

const RARE: &str = "turbine zeppelin quasar nebula fjord glacier kiwi mango papaya saffron \
    obsidian basalt cobalt vermilion sapphire walrus narwhal pelican albatross heron \
    tectonic isotope catalyst enzyme polymer photon neutrino graphene lattice manifold";

const CJK: &[&str] = &[
    "明日は東京で会議があります",
    "デプロイは完了しました、確認お願いします",
    "本番環境のデータベースを移行します",
    "我们明天讨论数据库迁移",
    "请检查一下发布计划",
    "今天的会议改到下午三点",
    "検索機能のテストを書きました",
];

pub struct Corpus {
    words: Vec<&'static str>,
    /// Cumulative Zipf weights over `words`.
    cumulative: Vec<f64>,
}

impl Default for Corpus {
    fn default() -> Self {
        Self::new()
    }
}

impl Corpus {
    pub fn new() -> Self {
        let words: Vec<&'static str> = COMMON.split_whitespace().chain(RARE.split_whitespace()).collect();
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(1.07);
                total
            })
            .collect();
        Self { words, cumulative }
    }

    pub fn word(&self, rng: &mut impl Rng) -> &'static str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|c| *c < x).min(self.words.len() - 1);
        self.words[i]
    }

    /// One message; `mention` is a username to @mention now and then.
    pub fn message(&self, rng: &mut impl Rng, mention: &str) -> String {
        if rng.random_ratio(3, 100) {
            return CJK[rng.random_range(0..CJK.len())].to_owned();
        }
        let n = rng.random_range(8..62);
        let mut out = String::with_capacity(n * 7);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.word(rng));
        }
        if rng.random_ratio(2, 100) {
            out.push_str(&format!(" @{mention}"));
        }
        if rng.random_ratio(5, 100) {
            out.push_str(&format!(" https://wiki.example.com/page/{}", rng.random_range(1..5000)));
        }
        out
    }
}
