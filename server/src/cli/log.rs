//! `glassbox log keygen` and `glassbox log rotate-key`: the checkpoint signing key file.

use super::LogCommand;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::transparency::keys;

pub(super) async fn run(settings: &Settings, cmd: LogCommand) -> anyhow::Result<()> {
    let default_path = settings.log.signing_key_file_for(&settings.data_dir);
    match cmd {
        LogCommand::Keygen { out } => {
            let path = out.unwrap_or(default_path);
            let signer = keys::keygen(&path, &settings.log.origin_for(&settings.public_url))?;
            println!(
                "Wrote the log signing key to {} (mode 0600). Its verifier key:\n{}",
                path.display(),
                signer.verifier_key()
            );
            Ok(())
        }
        LogCommand::RotateKey => {
            anyhow::ensure!(
                settings.log.signer_command().is_empty(),
                "the log is signed by an external signer (GLASSBOX__LOG__SIGNER_COMMAND): rotate its key there; see the README's key rotation"
            );
            let db =
                Db::connect(&settings.database_url(), settings.database.max_connections).await?;
            db.migrate().await?;
            let r = keys::rotate(&db, &Clock::system(), &default_path).await?;
            println!(
                "{} now holds a new key; restart Glassbox to sign with it.\nNew verifier key: {}\nOld verifier key (still listed at /log/key, so old checkpoints verify): {}\nThe old secret is kept in {}; destroy it once nothing needs it.",
                default_path.display(),
                r.new,
                r.old,
                r.retired.display()
            );
            Ok(())
        }
    }
}
