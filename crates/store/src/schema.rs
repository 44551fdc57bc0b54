//! The tables, in types both backends share.

diesel::table! {
    draws (number) {
        number -> Text,
        number_key -> BigInt,
        held_at -> Timestamp,
        round_kind -> Text,
        program -> Nullable<Text>,
        category_id -> Nullable<Text>,
        category_version -> Nullable<Integer>,
        round_name -> Text,
        invitations -> BigInt,
        minimum_crs -> Integer,
        tie_break_at -> Nullable<Timestamp>,
        eligible_programs -> Text,
        pool_distribution -> Nullable<Text>,
        recorded_at -> Timestamp,
        updated_at -> Timestamp,
        uncatalogued -> Bool,
    }
}

diesel::table! {
    draw_events (event_id) {
        event_id -> BigInt,
        kind -> Text,
        number -> Text,
        draw -> Text,
        previous -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}
