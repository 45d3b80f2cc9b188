use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crises")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Option<Uuid>,
    pub source: String,
    pub post_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
    pub checkin_id: Option<Uuid>,
    pub rules: String,
    pub state: String,
    pub created_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub alerted_at: Option<DateTimeUtc>,
    pub handled_at: Option<DateTimeUtc>,
    pub handled_by: Option<Uuid>,
    pub outcome_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
