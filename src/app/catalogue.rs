//! What policies, metric definitions and metric sets share: built-ins shipped
//! with the binary and read-only, then the workspace's own, stored whole by
//! key. One home for listing, finding, creating, replacing and deleting them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::accounts::written;
use super::changes::{data_of, record};
use super::{App, AppError, IfMatch, Principal, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::metric::MetricDefinition;
use crate::store::Tx;
use crate::store::definitions::{Kind, Versioned};

/// A definition as published, with whether it is a built-in (read-only) and
/// its version (its ETag; built-ins never change and stay at 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Published<T> {
    pub definition: T,
    pub built_in: bool,
    pub version: i64,
}

impl<T> Published<T> {
    fn built_in(definition: T) -> Self {
        Self {
            definition,
            built_in: true,
            version: 1,
        }
    }

    fn custom(v: Versioned<T>) -> Self {
        Self {
            definition: v.definition,
            built_in: false,
            version: v.version,
        }
    }
}

/// A kind of definition with built-ins and custom entries.
pub(super) trait Catalogued:
    Serialize + DeserializeOwned + Clone + Send + Sync + 'static
{
    const KIND: Kind;
    /// What its change events name it.
    const RESOURCE: Resource;
    /// What a client reads in errors: "metric set".
    const NOUN: &'static str;
    /// How the API returns it, in answers and in events.
    type View: Serialize + From<Published<Self>>;
    fn key(&self) -> &str;
    fn built_ins() -> &'static [Self];
    /// The metrics the definition reads: held (locked) while it is written,
    /// so none is deleted under it.
    fn metrics_used(&self) -> Vec<&str> {
        Vec::new()
    }
}

fn built_in<T: Catalogued>(key: &str) -> Option<&'static T> {
    T::built_ins().iter().find(|b| b.key() == key)
}

impl App {
    /// Built-ins first, then the workspace's by key.
    pub(super) async fn catalogue<T: Catalogued>(
        &self,
        p: &Principal,
    ) -> Result<Vec<Published<T>>, AppError> {
        let custom: Vec<Versioned<T>> = self.store.definitions(p.workspace_id, T::KIND).await?;
        Ok(T::built_ins()
            .iter()
            .cloned()
            .map(Published::built_in)
            .chain(custom.into_iter().map(Published::custom))
            .collect())
    }

    pub(super) async fn catalogued<T: Catalogued>(
        &self,
        p: &Principal,
        key: &str,
    ) -> Result<Published<T>, AppError> {
        if let Some(b) = built_in::<T>(key) {
            return Ok(Published::built_in(b.clone()));
        }
        self.store
            .definition(p.workspace_id, T::KIND, key)
            .await?
            .map(Published::custom)
            .ok_or(AppError::NotFound(T::NOUN))
    }

    /// Stores a new, already validated definition.
    pub(super) async fn add_catalogued<T: Catalogued>(
        &self,
        p: &Principal,
        definition: T,
    ) -> Result<Published<T>, AppError> {
        let key = definition.key().to_owned();
        if built_in::<T>(&key).is_some() {
            return Err(AppError::Duplicate(format!(
                "{key:?} is a built-in {}",
                T::NOUN
            )));
        }
        let added = Published {
            definition,
            built_in: false,
            version: 1,
        };
        let mut work = self.begin(p).await?;
        let result = async {
            let definition = &added.definition;
            hold::<MetricDefinition>(&mut work, definition.metrics_used()).await?;
            work.insert_definition(T::KIND, &key, definition, now())
                .await?;
            record_definition(&mut work, &added, Change::Created).await
        }
        .await;
        work.finish(result).await.map_err(|e| match e {
            AppError::Duplicate(_) => AppError::Duplicate(format!(
                "{} {key:?} exists; PUT to change it, or pick another key",
                T::NOUN
            )),
            other => other,
        })?;
        Ok(added)
    }

    /// Replaces a custom definition, already validated, under its key, at
    /// the version `if_match` names (any, when it names none).
    pub(super) async fn replace_catalogued<T: Catalogued>(
        &self,
        p: &Principal,
        definition: T,
        if_match: &IfMatch,
    ) -> Result<Published<T>, AppError> {
        refuse_built_in::<T>(definition.key())?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked::<T>(&mut work, definition.key(), if_match).await?;
            hold::<MetricDefinition>(&mut work, definition.metrics_used()).await?;
            let took = work
                .update_definition(T::KIND, definition.key(), &definition, current, now())
                .await?;
            let replaced = written(
                took,
                Published {
                    definition,
                    built_in: false,
                    version: current + 1,
                },
            )?;
            record_definition(&mut work, &replaced, Change::Updated).await?;
            Ok(replaced)
        }
        .await;
        work.finish(result).await
    }

    pub(super) async fn remove_catalogued<T: Catalogued>(
        &self,
        p: &Principal,
        key: &str,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        refuse_built_in::<T>(key)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked::<T>(&mut work, key, if_match).await?;
            written(work.delete_definition(T::KIND, key, current).await?, ())?;
            record_removal::<T>(&mut work, key).await
        }
        .await;
        work.finish(result).await
    }
}

/// Records that a definition was created or replaced, as a GET now returns it.
async fn record_definition<T: Catalogued>(
    tx: &mut Tx,
    published: &Published<T>,
    change: Change,
) -> Result<(), AppError> {
    let data = data_of(&T::View::from(published.clone()))?;
    let key = published.definition.key();
    record(tx, NewEvent::new(T::RESOURCE, change, key, now(), data)).await
}

/// Records that a definition was deleted: a tombstone of its key.
pub(super) async fn record_removal<T: Catalogued>(tx: &mut Tx, key: &str) -> Result<(), AppError> {
    let tombstone = serde_json::json!({ "key": key });
    record(
        tx,
        NewEvent::new(
            T::RESOURCE,
            Change::Deleted,
            key,
            now(),
            tombstone.to_string(),
        ),
    )
    .await
}

/// Locks a custom definition and checks `if_match` against it; its version.
pub(super) async fn locked<T: Catalogued>(
    tx: &mut Tx,
    key: &str,
    if_match: &IfMatch,
) -> Result<i64, AppError> {
    if tx.lock_definitions(T::KIND, &[key.to_owned()]).await? == 0 {
        return Err(AppError::NotFound(T::NOUN));
    }
    let current = tx.definition::<T>(T::KIND, key).await?;
    let version = current.ok_or(AppError::NotFound(T::NOUN))?.version;
    if_match.check(T::NOUN, version)?;
    Ok(version)
}

/// Locks the custom definitions among `keys` until the unit of work ends, so
/// none is deleted while what is being written relies on it; one already
/// gone (deleted since it was read) is a concurrent change.
pub(super) async fn hold<'k, T: Catalogued>(
    tx: &mut Tx,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<(), AppError> {
    let mut custom: Vec<String> = keys
        .into_iter()
        .filter(|k| built_in::<T>(k).is_none())
        .map(str::to_owned)
        .collect();
    custom.sort();
    custom.dedup();
    if custom.is_empty() {
        return Ok(());
    }
    if tx.lock_definitions(T::KIND, &custom).await? < custom.len() {
        return Err(AppError::Concurrent(format!(
            "a {} this change uses was deleted meanwhile; read it again and retry",
            T::NOUN
        )));
    }
    Ok(())
}

/// Built-ins are read-only: a change is refused with 403.
pub(super) fn refuse_built_in<T: Catalogued>(key: &str) -> Result<(), AppError> {
    match built_in::<T>(key) {
        Some(_) => Err(AppError::ReadOnly(format!(
            "{key:?} is a built-in {}; create your own under a new key",
            T::NOUN
        ))),
        None => Ok(()),
    }
}
