//! `roundup push`: the week's post to the blog of the `[blog]` table, as a draft unless asked
//! otherwise. [`push_week`] is the whole push (also for a "push to blog" button): render the
//! body, check the credentials, compare the blog's copy with the last push, find or make the
//! terms, create or update the post, record it, and check what the blog kept of the HTML.
//!
//! Nothing half-done stays unrecorded: the post id is stored as soon as the blog answers a
//! create or an update, before anything else can fail; an error before that leaves no post
//! (terms made on the way are cached, and reused by the next push).

use std::fmt;

use anyhow::{Context, anyhow};
use chrono::Utc;
use serde_json::Value;

use super::week::resolve_week;
use super::{Exit, load_config, open_store, runtime};
use crate::cli::{Cli, PushArgs, PushStatus};
use crate::config::{BlogConfig, BlogKind, Config};
use crate::push::credentials::{self, Credentials};
use crate::push::decide::{self, Outgoing, Plan, Refusal, RemotePost, Status};
use crate::push::wordpress::{Api, BlogError, Client, HttpSettings, ShownRequest};
use crate::render::Renderer;
use crate::store::Store;
use crate::store::blog::{PushedPost, Taxonomy};
use crate::week::IsoWeek;

/// What a push is asked to do.
#[derive(Debug, Clone)]
pub(crate) struct PushOptions {
    /// `None`: draft for a new post, the blog's own status for an update.
    pub status: Option<Status>,
    pub date_gmt: Option<chrono::DateTime<Utc>>,
    pub dry_run: bool,
    pub overwrite: bool,
}

/// What a push did.
#[derive(Debug)]
pub(crate) enum Pushed {
    /// The post was created or updated, and recorded.
    Saved { plan: Plan, post: RemotePost, warnings: Vec<String> },
    /// `--dry-run`: what would be sent.
    DryRun { plan: Plan, request: ShownRequest, new_terms: Vec<String>, warnings: Vec<String> },
}

/// Why a push did not go through.
#[derive(Debug)]
pub(crate) enum PushFailure {
    /// Refused to overwrite the blog's copy (exit 1).
    Refused(Refusal),
    /// Saved and recorded, but the blog removed markup the post needs (exit 1).
    Stripped { post: Box<RemotePost>, on_save: Vec<String>, on_view: Vec<String>, who: String },
    /// The blog said no, or could not be reached (exit 2).
    Blog(BlogError),
    /// Anything else: the database, the templates, the settings (exit 2).
    Other(anyhow::Error),
}

impl PushFailure {
    /// The exit code it ends `roundup push` with.
    pub(crate) fn exit(&self) -> Exit {
        match self {
            PushFailure::Refused(_) | PushFailure::Stripped { .. } => Exit::SomeFailed,
            PushFailure::Blog(_) | PushFailure::Other(_) => Exit::Fatal,
        }
    }
}

impl fmt::Display for PushFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushFailure::Refused(r) => write!(f, "not pushed: {r}"),
            PushFailure::Stripped { post, on_save, on_view, who } => {
                write!(
                    f,
                    "post {} is saved on the blog ({}), but WordPress changed its HTML:",
                    post.id,
                    post.link.as_deref().unwrap_or("no link")
                )?;
                if !on_save.is_empty() {
                    write!(f, " on saving it removed {}", on_save.join(", "))?;
                    write!(
                        f,
                        " ({who} may not post unfiltered HTML: push as an editor or \
                         administrator, or change the templates)"
                    )?;
                }
                if !on_view.is_empty() {
                    if !on_save.is_empty() {
                        write!(f, ";")?;
                    }
                    write!(f, " its display filters remove {}", on_view.join(", "))?;
                }
                Ok(())
            }
            PushFailure::Blog(e) => write!(f, "{e}"),
            PushFailure::Other(e) => write!(f, "{}", crate::error_chain::one_line(e.as_ref())),
        }
    }
}

impl From<BlogError> for PushFailure {
    fn from(e: BlogError) -> Self {
        PushFailure::Blog(e)
    }
}

impl From<crate::store::StoreError> for PushFailure {
    fn from(e: crate::store::StoreError) -> Self {
        PushFailure::Other(e.into())
    }
}

/// `roundup push`.
pub(crate) fn push(cli: &Cli, args: &PushArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let blog = config.blog.as_ref().ok_or_else(|| {
        anyhow!(
            "{}: no [blog] table: add one naming the blog to push to (kind, url, user; see the \
             README's \"Pushing to the blog\")",
            config.path.display()
        )
    })?;
    let week = resolve_week(&args.week, &config)?;
    let now = Utc::now();
    let date_gmt = args
        .date
        .as_deref()
        .map(|d| decide::parse_when(d, config.settings.timezone))
        .transpose()
        .map_err(|m| anyhow!("--date: {m}"))?;
    let status = args.status.map(|s| match s {
        PushStatus::Draft => Status::Draft,
        PushStatus::Pending => Status::Pending,
        PushStatus::Future => Status::Future,
        PushStatus::Publish => Status::Publish,
    });
    decide::check_schedule(status.unwrap_or(Status::Draft), date_gmt, now)
        .map_err(|m| anyhow!(m))?;
    let credentials = credentials::load(blog, |k| std::env::var(k).ok())?;
    let mut store = open_store(cli, &config)?;
    let options =
        PushOptions { status, date_gmt, dry_run: args.dry_run, overwrite: args.overwrite };
    let rt = runtime()?;
    match rt.block_on(push_week(&config, blog, &credentials, &mut store, week, &options)) {
        Ok(Pushed::Saved { plan, post, warnings }) => {
            for w in &warnings {
                eprintln!("roundup: warning: {w}");
            }
            let verb = match plan {
                Plan::Create => "created",
                Plan::Update(_) => "updated",
            };
            println!(
                "roundup: pushed {week}: {verb} post {} ({}) on {}",
                post.id,
                post.status,
                post.link.as_deref().unwrap_or("the blog")
            );
            Ok(Exit::Ok)
        }
        Ok(Pushed::DryRun { plan, request, new_terms, warnings }) => {
            for w in &warnings {
                eprintln!("roundup: warning: {w}");
            }
            match plan {
                Plan::Create => println!("roundup: dry run: would create a post for {week}"),
                Plan::Update(id) => println!("roundup: dry run: would update post {id}"),
            }
            for t in &new_terms {
                println!("roundup: dry run: would first create {t}");
            }
            println!("{} {}", request.method, request.url);
            println!("Authorization: {}", request.authorization);
            println!("Content-Type: application/json");
            println!();
            println!("{}", serde_json::to_string_pretty(&request.body)?);
            Ok(Exit::Ok)
        }
        Err(failure) => {
            eprintln!("roundup: error: {failure}");
            Ok(failure.exit())
        }
    }
}

/// The client of `blog`, with the feeds' HTTP settings.
pub(crate) fn client(
    config: &Config,
    blog: &BlogConfig,
    credentials: &Credentials,
) -> Result<Client, BlogError> {
    let api = match &blog.kind {
        BlogKind::WordPress { url } => Api::SelfHosted(url.clone()),
        BlogKind::WordPressCom { site, api } => {
            Api::WordPressCom { api: api.clone(), site: site.clone() }
        }
    };
    let s = &config.settings;
    let settings = HttpSettings {
        user_agent: s.user_agent.clone(),
        connect_timeout: s.connect_timeout,
        timeout: s.timeout,
    };
    Client::new(api, credentials, &settings)
}

/// The whole push of `week` to `blog` (see the module's header).
pub(crate) async fn push_week(
    config: &Config,
    blog: &BlogConfig,
    credentials: &Credentials,
    store: &mut Store,
    week: IsoWeek,
    options: &PushOptions,
) -> Result<Pushed, PushFailure> {
    let now = Utc::now();
    let items = store.picks(week)?;
    if items.is_empty() {
        return Err(PushFailure::Other(anyhow!(
            "the {week} roundup has no picks: nothing to push (pick entries with `roundup pick \
             ENTRY --week {week}`)"
        )));
    }
    let roundup = store.roundup(week, &config.roundup.title, now)?;
    let renderer =
        Renderer::new(&config.roundup.templates).map_err(|e| PushFailure::Other(e.into()))?;
    let body = renderer
        .render_blog_body(&roundup, &items)
        .context("cannot render the post")
        .map_err(PushFailure::Other)?;
    let warnings: Vec<String> = body.warnings.iter().map(ToString::to_string).collect();
    // WordPress's title and excerpt are HTML, shown as they are to a user with
    // unfiltered_html: the plain text goes in escaped, so `<iframe …>` typed in an intro is
    // text on the blog too.
    let escape = |s: &str| html_escape::encode_text(s).into_owned();
    let outgoing = Outgoing {
        title: escape(&roundup.title),
        content: body.text,
        excerpt: escape(
            &roundup.intro.as_deref().map(crate::render::editors_plain).unwrap_or_default(),
        ),
        status: options.status,
        date_gmt: options.date_gmt,
        tags: clean_terms(&roundup.tags),
        categories: clean_terms(&roundup.categories),
    };

    let client = client(config, blog, credentials)?;
    let identity = blog.identity();
    let me = client.who_am_i().await?;
    check_rights(&me, options.status.unwrap_or(Status::Draft), credentials)?;

    let stored = store.pushed_post(week, &identity)?;
    let last: Option<RemotePost> = match &stored {
        Some(p) => Some(serde_json::from_str(&p.remote).map_err(|e| {
            PushFailure::Other(anyhow!("the stored copy of the {week} post is unreadable: {e}"))
        })?),
        None => None,
    };
    let now_on_blog = match &last {
        Some(last) => client.post(last.id).await?,
        None => None,
    };
    let plan = decide::plan(last.as_ref(), now_on_blog.as_ref(), options.overwrite)
        .map_err(PushFailure::Refused)?;
    let (route, method) = match plan {
        Plan::Create => ("posts".to_string(), "POST"),
        Plan::Update(id) => (format!("posts/{id}"), "POST"),
    };

    if options.dry_run {
        let mut new_terms = Vec::new();
        let mut ids = [Vec::new(), Vec::new()];
        for (slot, taxonomy, names) in
            [(0, Taxonomy::Tags, &outgoing.tags), (1, Taxonomy::Categories, &outgoing.categories)]
        {
            for name in names {
                let cached = store.blog_term(&identity, taxonomy, name)?;
                match cached {
                    Some(id) => ids[slot].push(id),
                    None => match client.find_term(taxonomy, name).await? {
                        Some(id) => ids[slot].push(id),
                        None => new_terms.push(format!("the {} {name:?}", singular(taxonomy))),
                    },
                }
            }
        }
        let creating = plan == Plan::Create;
        let body = Client::post_body(&outgoing, &ids[0], &ids[1], creating);
        let request = client.show(method, &route, body);
        return Ok(Pushed::DryRun { plan, request, new_terms, warnings });
    }

    let update = match plan {
        Plan::Create => None,
        Plan::Update(id) => Some(id),
    };
    let (saved, rendered) = match save(&client, store, &identity, &outgoing, update, false).await {
        // A cached term id the blog no longer knows (the term was deleted there): look the
        // names up again, once.
        Err(PushFailure::Blog(BlogError::Failed { status: 400, code, .. }))
            if code == "rest_invalid_param" || code.contains("term") =>
        {
            save(&client, store, &identity, &outgoing, update, true).await?
        }
        other => other?,
    };
    let pushed_at = stored.as_ref().map_or(now, |p| p.pushed_at);
    let record = PushedPost {
        post_id: saved.id,
        modified_gmt: saved.modified_gmt.clone(),
        status: saved.status.clone(),
        link: saved.link.clone(),
        remote: serde_json::to_string(&saved).map_err(|e| PushFailure::Other(e.into()))?,
        pushed_at,
    };
    store.record_push(week, &config.roundup.title, &identity, &record, Utc::now())?;

    let on_save = decide::removed_markup(&outgoing.content, &saved.content);
    let on_view = decide::removed_markup(&outgoing.content, &rendered);
    if !on_save.is_empty() || !on_view.is_empty() {
        let who = match credentials {
            Credentials::Basic { user, .. } => format!("the user {user:?}"),
            Credentials::Bearer(_) => "the token's user".to_string(),
        };
        return Err(PushFailure::Stripped { post: Box::new(saved), on_save, on_view, who });
    }
    Ok(Pushed::Saved { plan, post: saved, warnings })
}

/// Finds or makes the terms, then creates or updates the post. `fresh`: ignore the cached
/// term ids.
async fn save(
    client: &Client,
    store: &mut Store,
    identity: &str,
    outgoing: &Outgoing,
    update: Option<u64>,
    fresh: bool,
) -> Result<(RemotePost, String), PushFailure> {
    let tags = term_ids(client, store, identity, Taxonomy::Tags, &outgoing.tags, fresh).await?;
    let categories =
        term_ids(client, store, identity, Taxonomy::Categories, &outgoing.categories, fresh)
            .await?;
    let body: Value = Client::post_body(outgoing, &tags, &categories, update.is_none());
    Ok(client.save(update, &body).await?)
}

/// The ids of the terms `names`: cached, else found on the blog by name, else made there.
async fn term_ids(
    client: &Client,
    store: &mut Store,
    identity: &str,
    taxonomy: Taxonomy,
    names: &[String],
    fresh: bool,
) -> Result<Vec<u64>, PushFailure> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        if fresh {
            store.forget_blog_term(identity, taxonomy, name)?;
        } else if let Some(id) = store.blog_term(identity, taxonomy, name)? {
            ids.push(id);
            continue;
        }
        let id = match client.find_term(taxonomy, name).await? {
            Some(id) => id,
            None => client.create_term(taxonomy, name).await?,
        };
        store.cache_blog_term(identity, taxonomy, name, id)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Refuses early, before anything is written, a user the blog says may not write posts (or
/// publish them, when that is asked).
fn check_rights(
    me: &crate::push::wordpress::Me,
    status: Status,
    credentials: &Credentials,
) -> Result<(), PushFailure> {
    let who = match credentials {
        Credentials::Basic { user, .. } => format!("the user {user:?}"),
        Credentials::Bearer(_) => format!("the token's user {:?}", me.name),
    };
    let role = if me.roles.is_empty() {
        String::new()
    } else {
        format!(" (role: {})", me.roles.join(", "))
    };
    let (action, allowed) = match status {
        Status::Publish | Status::Future => ("publish posts", me.may_publish_posts),
        Status::Draft | Status::Pending => ("write posts", me.may_edit_posts),
    };
    if allowed == Some(false) {
        return Err(PushFailure::Blog(BlogError::NotAllowed {
            who: format!("{who}{role}"),
            action: action.to_string(),
        }));
    }
    Ok(())
}

/// Tags or categories as sent: trimmed, blanks and repeats (ignoring case) dropped.
fn clean_terms(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(n)) {
            out.push(n.to_string());
        }
    }
    out
}

fn singular(taxonomy: Taxonomy) -> &'static str {
    match taxonomy {
        Taxonomy::Tags => "tag",
        Taxonomy::Categories => "category",
    }
}
