//! `video-meet`: parse the configuration, start logging, serve until Ctrl-C or SIGTERM.

use clap::Parser;
use video_meet::config::Config;

#[tokio::main]
async fn main() {
    let config = Config::parse();
    video_meet::telemetry::init(&config);
    if let Err(err) = video_meet::run(config).await {
        tracing::error!(error = %err, "video-meet stopped with an error");
        eprintln!("video-meet: {err}");
        std::process::exit(1);
    }
}
