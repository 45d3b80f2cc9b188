//! Small server-wide values: secrets generated on first start, the first-run setup token.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::entity::setting;
use crate::{Result, Store};

impl Store {
    /// Reads a setting.
    #[tracing::instrument(skip_all)]
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(setting::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?
            .map(|s| s.value))
    }

    /// Stores a setting only if it is not yet set, and returns the value that holds (so that
    /// several instances starting together agree on one generated secret).
    #[tracing::instrument(skip_all)]
    pub async fn setting_or_insert(&self, key: &str, value: String) -> Result<String> {
        let inserted = setting::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(value),
        }
        .insert(&self.db)
        .await;
        match inserted {
            Ok(row) => Ok(row.value),
            Err(_) => self.setting(key).await?.ok_or(crate::StoreError::NotFound),
        }
    }

    /// Sets a setting, replacing any value.
    #[tracing::instrument(skip_all)]
    pub async fn put_setting(&self, key: &str, value: String) -> Result<()> {
        setting::Entity::delete_by_id(key.to_owned())
            .exec(&self.db)
            .await?;
        setting::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(value),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// Removes a setting; answers whether it was there (so a one-time token is used once).
    #[tracing::instrument(skip_all)]
    pub async fn take_setting(&self, key: &str, expected: &str) -> Result<bool> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let res = setting::Entity::delete_many()
            .filter(setting::Column::Key.eq(key))
            .filter(setting::Column::Value.eq(expected))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }
}
