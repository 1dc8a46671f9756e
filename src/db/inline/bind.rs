//! Parameters bound the way sqlx binds them, so a statement finds the same rows: a
//! `Uuid` as its 16 bytes, a `bool` as 0 or 1, JSON as its text.
use rusqlite::types::{ToSqlOutput, Value as Owned, ValueRef};
use sea_orm::sea_query::Value;

pub(super) struct Bind<'a>(pub &'a Value);

fn owned<T>(v: Option<T>, f: impl FnOnce(T) -> Owned) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(v.map_or(Owned::Null, f))
}

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Bool(b) => owned(*b, |b| Owned::Integer(b.into())),
            Value::TinyInt(i) => owned(*i, |i| Owned::Integer(i.into())),
            Value::SmallInt(i) => owned(*i, |i| Owned::Integer(i.into())),
            Value::Int(i) => owned(*i, |i| Owned::Integer(i.into())),
            Value::BigInt(i) => owned(*i, Owned::Integer),
            Value::TinyUnsigned(i) => owned(*i, |i| Owned::Integer(i.into())),
            Value::SmallUnsigned(i) => owned(*i, |i| Owned::Integer(i.into())),
            Value::Unsigned(i) => owned(*i, |i| Owned::Integer(i.into())),
            Value::BigUnsigned(i) => match i.map(i64::try_from).transpose() {
                Ok(i) => owned(i, Owned::Integer),
                Err(e) => return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))),
            },
            Value::Float(f) => owned(*f, |f| Owned::Real(f.into())),
            Value::Double(f) => owned(*f, Owned::Real),
            Value::Char(c) => owned(*c, |c| Owned::Text(c.to_string())),
            Value::String(s) => match s {
                Some(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                None => ToSqlOutput::Owned(Owned::Null),
            },
            Value::Bytes(b) => match b {
                Some(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
                None => ToSqlOutput::Owned(Owned::Null),
            },
            Value::Uuid(u) => match u {
                Some(u) => ToSqlOutput::Borrowed(ValueRef::Blob(u.as_bytes())),
                None => ToSqlOutput::Owned(Owned::Null),
            },
            Value::Json(j) => owned(j.as_ref(), |j| Owned::Text(j.to_string())),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("the inline reader does not bind {other:?}").into(),
                ))
            }
        })
    }
}
