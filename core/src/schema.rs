// One schema for both backends: ids are BIGINT (i64) everywhere; SQLite's INTEGER PRIMARY KEY
// is 64-bit, so it maps to BigInt too.

diesel::table! {
    actors (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        handle -> Text,
        handle_norm -> Text,
        host -> Text,
        local -> Bool,
        display_name -> Text,
        summary -> Text,
        avatar_path -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        interests -> Text,
        skills -> Text,
        links -> Text,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        following_url -> Nullable<Text>,
        public_key_pem -> Text,
        private_key_pem -> Nullable<Text>,
        manually_approves_followers -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        ap_type -> Text,
        key_id -> Nullable<Text>,
        profile_url -> Nullable<Text>,
        fetched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    accounts (id) {
        id -> BigInt,
        actor_id -> BigInt,
        username -> Text,
        username_norm -> Text,
        email -> Text,
        email_norm -> Text,
        password_hash -> Text,
        role -> Text,
        email_confirmed_at -> Nullable<Timestamp>,
        approved -> Bool,
        pending_email -> Nullable<Text>,
        language -> Nullable<Text>,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        account_id -> BigInt,
        token_hash -> Text,
        kind -> Text,
        user_agent -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> BigInt,
        account_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        new_email -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rate_limits (id) {
        id -> BigInt,
        bucket -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    instance_settings (id) {
        id -> BigInt,
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        follower_id -> BigInt,
        target_id -> BigInt,
        ap_id -> Text,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> Text,
        activity_json -> Text,
        actor_id -> BigInt,
        inbox_url -> Text,
        host -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    instances (id) {
        id -> BigInt,
        host -> Text,
        shared_inbox_url -> Nullable<Text>,
        blocked -> Bool,
        failing_since -> Nullable<Timestamp>,
        dead -> Bool,
        last_probe_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inbox_seen (id) {
        id -> BigInt,
        activity_id -> Text,
        received_at -> Timestamp,
        done -> Bool,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        ap_id -> Text,
        author_id -> BigInt,
        local -> Bool,
        kind -> Text,
        content_html -> Text,
        source_text -> Nullable<Text>,
        summary -> Nullable<Text>,
        sensitive -> Bool,
        language -> Nullable<Text>,
        visibility -> Text,
        in_reply_to_ap_id -> Nullable<Text>,
        url -> Nullable<Text>,
        attachments -> Text,
        tags -> Text,
        poll -> Nullable<Text>,
        like_count -> Integer,
        announce_count -> Integer,
        reply_count -> Integer,
        published_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_recipients (id) {
        id -> BigInt,
        post_id -> BigInt,
        actor_id -> BigInt,
        mentioned -> Bool,
    }
}

diesel::table! {
    reactions (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        actor_id -> BigInt,
        post_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        account_id -> BigInt,
        kind -> Text,
        actor_id -> BigInt,
        post_id -> Nullable<BigInt>,
        read -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blocks (id) {
        id -> BigInt,
        actor_id -> BigInt,
        target_id -> BigInt,
        kind -> Text,
        ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    portfolio_types (id) {
        id -> BigInt,
        name -> Text,
        label -> Text,
        fields -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    portfolio_templates (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        portfolio_type -> Text,
        sections -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    portfolios (id) {
        id -> BigInt,
        actor_id -> BigInt,
        local -> Bool,
        portfolio_type -> Text,
        visibility -> Text,
        state -> Text,
        tags -> Text,
        cover_path -> Nullable<Text>,
        cover_url -> Nullable<Text>,
        fields -> Text,
        sections -> Text,
        template -> Nullable<Text>,
        owners -> Text,
        items_url -> Nullable<Text>,
        projects_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    portfolio_members (id) {
        id -> BigInt,
        portfolio_id -> BigInt,
        actor_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    portfolio_items (id) {
        id -> BigInt,
        ap_id -> Text,
        portfolio_id -> BigInt,
        local -> Bool,
        title -> Text,
        description -> Text,
        role -> Text,
        client -> Text,
        skills -> Text,
        started_on -> Nullable<Text>,
        ended_on -> Nullable<Text>,
        media -> Text,
        video_url -> Nullable<Text>,
        external_url -> Nullable<Text>,
        position -> Integer,
        featured -> Bool,
        visibility -> Text,
        state -> Text,
        section -> Nullable<Text>,
        fields -> Text,
        post_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        ap_id -> Text,
        portfolio_id -> BigInt,
        local -> Bool,
        title -> Text,
        description -> Text,
        status -> Text,
        goals -> Text,
        data -> Text,
        links -> Text,
        visibility -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    project_members (id) {
        id -> BigInt,
        project_id -> BigInt,
        actor_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    project_updates (id) {
        id -> BigInt,
        project_ap_id -> Text,
        post_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    portfolio_watches (id) {
        id -> BigInt,
        portfolio_id -> BigInt,
        actor_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bookmark_folders (id) {
        id -> BigInt,
        owner_id -> BigInt,
        name -> Text,
        name_norm -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        folder_id -> BigInt,
        target_kind -> Text,
        target_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    portfolio_views (id) {
        id -> BigInt,
        portfolio_id -> BigInt,
        day -> Text,
        views -> BigInt,
    }
}

diesel::table! {
    communities (id) {
        id -> BigInt,
        actor_id -> BigInt,
        local -> Bool,
        kind -> Text,
        visibility -> Text,
        rules -> Text,
        tags -> Text,
        portfolios -> Text,
        banner_path -> Nullable<Text>,
        banner_url -> Nullable<Text>,
        moderators_url -> Nullable<Text>,
        featured_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    community_roles (id) {
        id -> BigInt,
        community_id -> BigInt,
        actor_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_bans (id) {
        id -> BigInt,
        community_id -> BigInt,
        actor_id -> BigInt,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_posts (id) {
        id -> BigInt,
        post_id -> BigInt,
        community_id -> BigInt,
        kind -> Text,
        title -> Text,
        thread_post_id -> Nullable<BigInt>,
        pinned -> Bool,
        locked -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_reports (id) {
        id -> BigInt,
        community_id -> BigInt,
        reporter_id -> BigInt,
        post_id -> Nullable<BigInt>,
        reason -> Text,
        ap_id -> Text,
        resolved -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_invites (id) {
        id -> BigInt,
        community_id -> BigInt,
        created_by -> BigInt,
        token_hash -> Nullable<Text>,
        invitee_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    poll_votes (id) {
        id -> BigInt,
        post_id -> BigInt,
        actor_id -> BigInt,
        choice -> Text,
        ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_chat (id) {
        id -> BigInt,
        community_id -> BigInt,
        author_id -> BigInt,
        ap_id -> Text,
        content_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox_events (id) {
        id -> BigInt,
        kind -> Text,
        actor_id -> BigInt,
        payload -> Text,
        created_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(accounts -> actors (actor_id));
diesel::joinable!(posts -> actors (author_id));
diesel::joinable!(post_recipients -> posts (post_id));
diesel::joinable!(reactions -> posts (post_id));
diesel::joinable!(deliveries -> actors (actor_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(portfolios -> actors (actor_id));
diesel::joinable!(portfolio_members -> portfolios (portfolio_id));
diesel::joinable!(portfolio_members -> actors (actor_id));
diesel::joinable!(project_members -> actors (actor_id));
diesel::joinable!(project_updates -> posts (post_id));
diesel::joinable!(portfolio_items -> portfolios (portfolio_id));
diesel::joinable!(projects -> portfolios (portfolio_id));
diesel::joinable!(project_members -> projects (project_id));
diesel::joinable!(bookmarks -> bookmark_folders (folder_id));
diesel::joinable!(communities -> actors (actor_id));
diesel::joinable!(community_roles -> communities (community_id));
diesel::joinable!(community_bans -> communities (community_id));
diesel::joinable!(community_posts -> communities (community_id));
diesel::joinable!(community_posts -> posts (post_id));
diesel::joinable!(account_tokens -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    actors,
    accounts,
    sessions,
    account_tokens,
    rate_limits,
    instance_settings,
    follows,
    deliveries,
    instances,
    inbox_seen,
    posts,
    post_recipients,
    reactions,
    notifications,
    blocks,
    portfolio_types,
    portfolio_templates,
    portfolios,
    portfolio_members,
    portfolio_items,
    projects,
    project_members,
    project_updates,
    portfolio_watches,
    bookmark_folders,
    bookmarks,
    portfolio_views,
    communities,
    community_roles,
    community_bans,
    community_posts,
    community_reports,
    community_invites,
    poll_votes,
    community_chat,
    outbox_events,
);
