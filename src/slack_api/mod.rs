//! A subset of the Slack Web API under `/slack/api/`, for bots: the scripts and bots a
//! team already has run unchanged against Parley with a Parley bot token.
pub mod ids;
