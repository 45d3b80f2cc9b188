use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "threads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub board_id: Uuid,
    pub author_id: Option<Uuid>,
    pub title: String,
    pub status: String,
    pub pinned: bool,
    pub locked: bool,
    pub post_count: i32,
    pub created_at: DateTimeUtc,
    pub last_activity_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The board the thread is in (read in the same query as the thread when posting).
    #[sea_orm(
        belongs_to = "super::board::Entity",
        from = "Column::BoardId",
        to = "super::board::Column::Id"
    )]
    Board,
    /// The thread's author, for their handle.
    #[sea_orm(
        belongs_to = "super::member::Entity",
        from = "Column::AuthorId",
        to = "super::member::Column::Id"
    )]
    Author,
}

impl Related<super::board::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Board.def()
    }
}

impl Related<super::member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
