use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "concerns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub post_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
    pub raised_by: Option<Uuid>,
    pub source: String,
    pub category: String,
    pub note: Option<String>,
    pub state: String,
    pub created_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub alerted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub decision: Option<String>,
    pub referral_to: Option<String>,
    pub decision_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
