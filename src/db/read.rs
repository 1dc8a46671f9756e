//! Where short reads come from: the database outside any transaction (on SQLite, on the
//! caller's own thread), or a transaction in progress (its own connection, so it sees
//! its own writes).
use std::future::Future;

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryResult, QuerySelect, QueryTrait, Select};

use super::inline::{FromInline, Layout};
use super::Db;

pub trait ReadSource: Sync {
    /// The first model `select` finds.
    fn find_one<E>(&self, select: Select<E>) -> impl Future<Output = Result<Option<E::Model>, DbErr>> + Send
    where
        E: EntityTrait,
        E::Model: FromInline + Send;

    /// Every model `select` finds.
    fn find_all<E>(&self, select: Select<E>) -> impl Future<Output = Result<Vec<E::Model>, DbErr>> + Send
    where
        E: EntityTrait,
        E::Model: FromInline + Send;

    /// The first row of `query`, read by `inline` (inline reader; `query` selects
    /// `layout`) or `pooled` (sea-orm).
    fn query_one_with<T: Send>(
        &self,
        query: &SelectStatement,
        layout: Layout<'static>,
        inline: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        pooled: fn(&QueryResult) -> Result<T, DbErr>,
    ) -> impl Future<Output = Result<Option<T>, DbErr>> + Send;
}

impl ReadSource for Db {
    async fn find_one<E>(&self, select: Select<E>) -> Result<Option<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: FromInline + Send,
    {
        match &self.inline {
            Some(reader) => {
                let stmt = select.limit(1).build(DbBackend::Sqlite);
                Ok(reader.query(&stmt, &[("", E::Model::FIELDS)], |row| E::Model::from_inline(row, 0))?.pop())
            }
            None => select.one(&self.conn).await,
        }
    }

    async fn find_all<E>(&self, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: FromInline + Send,
    {
        match &self.inline {
            Some(reader) => reader.query(&select.build(DbBackend::Sqlite), &[("", E::Model::FIELDS)], |row| {
                E::Model::from_inline(row, 0)
            }),
            None => select.all(&self.conn).await,
        }
    }

    async fn query_one_with<T: Send>(
        &self,
        query: &SelectStatement,
        layout: Layout<'static>,
        inline: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        pooled: fn(&QueryResult) -> Result<T, DbErr>,
    ) -> Result<Option<T>, DbErr> {
        match &self.inline {
            Some(reader) => {
                let mut query = query.clone();
                let stmt = DbBackend::Sqlite.build(query.limit(1));
                Ok(reader.query(&stmt, layout, inline)?.pop())
            }
            None => self.conn.query_one_with(query, layout, inline, pooled).await,
        }
    }
}

impl<C: ConnectionTrait> ReadSource for C {
    async fn find_one<E>(&self, select: Select<E>) -> Result<Option<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: FromInline + Send,
    {
        select.one(self).await
    }

    async fn find_all<E>(&self, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: FromInline + Send,
    {
        select.all(self).await
    }

    async fn query_one_with<T: Send>(
        &self,
        query: &SelectStatement,
        _layout: Layout<'static>,
        _inline: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        pooled: fn(&QueryResult) -> Result<T, DbErr>,
    ) -> Result<Option<T>, DbErr> {
        match self.query_one(query).await? {
            Some(row) => pooled(&row).map(Some),
            None => Ok(None),
        }
    }
}
