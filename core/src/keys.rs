//! RSA key pairs for actors (RSA-2048: Mastodon verifies RSASSA-PKCS1-v1_5 with SHA-256 only).

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;

use crate::error::{Error, Result};

#[derive(Clone)]
pub struct KeyPair {
    pub public_pem: String,
    pub private_pem: String,
}

/// Generates a key pair on a blocking thread: it takes long enough to stall the executor.
pub async fn generate() -> Result<KeyPair> {
    tokio::task::spawn_blocking(generate_blocking)
        .await
        .map_err(|e| Error::Internal(format!("key generation task failed: {e}")))?
}

pub fn generate_blocking() -> Result<KeyPair> {
    let mut rng = rand::thread_rng();
    let key =
        RsaPrivateKey::new(&mut rng, 2048).map_err(|e| Error::Internal(format!("rsa: {e}")))?;
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| Error::Internal(format!("rsa pem: {e}")))?
        .to_string();
    let public_pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::Internal(format!("rsa pem: {e}")))?;
    Ok(KeyPair {
        public_pem,
        private_pem,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn generates_spki_and_pkcs8() {
        let k = super::generate_blocking().unwrap();
        assert!(k.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(k.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }
}
