use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub handle: String,
    #[sea_orm(unique)]
    pub handle_key: String,
    #[sea_orm(unique)]
    pub email: String,
    /// Only for an invited account whose email another account holds: the address its invitee
    /// typed (not unique; `email` then holds a placeholder).
    pub shared_email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub standing: String,
    pub standing_reason: Option<String>,
    pub suspended_until: Option<DateTimeUtc>,
    pub age_check: String,
    pub age_checked_at: DateTimeUtc,
    pub adult_confirmed_at: Option<DateTimeUtc>,
    pub rules_accepted_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub approved_at: Option<DateTimeUtc>,
    pub safeguarding_lead: bool,
    pub about: Option<String>,
    pub welcomed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
