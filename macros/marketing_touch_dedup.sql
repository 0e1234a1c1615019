{#- Identical touchpoints (models/staging/marketing/stg_touchpoints__validated.sql): every copy of a touch after
    the first is flagged collapsed_duplicate. A touch is identified by all its parsed fields (customer_key,
    event_time, channel, campaign_id, event_type, ad_id; a missing campaign or ad id equals a missing one).
    The first copy is the first by load, then by file; copies within one file are interchangeable (their rows
    are equal in every column). -#}

{% macro collapses_touches_after_write() -%}
    {#- True when the engine flags the copies in the written table (collapse_identical_touches below), so the
        model writes its rows in one pass without looking for repeats first. -#}
    {{- return(adapter.dispatch('collapses_touches_after_write', 'marketing_warehouse')()) -}}
{%- endmacro %}
{% macro default__collapses_touches_after_write() -%}{{ return(true) }}{%- endmacro %}
{% macro spark__collapses_touches_after_write() -%}
    {#- Spark's tables (parquet, no Delta) cannot be updated: the model finds the copies in its query. -#}
    {{ return(false) }}
{%- endmacro %}

{% macro collapse_identical_touches(relation) -%}
    {{- adapter.dispatch('collapse_identical_touches', 'marketing_warehouse')(relation) -}}
{%- endmacro %}

{% macro spark__collapse_identical_touches(relation) -%}
    {#- Nothing to do: the query flagged them. -#}
{%- endmacro %}

{% macro default__collapse_identical_touches(relation) -%}
    {#- The post-hook of the model, after every build, full or incremental: the rows that are not rejected and
        share a touch identity are numbered by (load, file), the first stays clean and the others become
        collapsed_duplicate. Loaded rows keep their verdict (an earlier load comes first), a new copy of a
        loaded touch collapses into it. Repeats are looked for by a 64-bit hash of the identity read back from
        the stored columns (one integer per row, usually no repeat at all); rows of a repeated hash are then
        compared field by field, so a hash collision never merges two different touches. -#}
    {%- if is_incremental() and not touch_files_arrived(relation) %}
    {#- Nothing to flag: the build wrote no touch (a daily file of orders or spend only). -#}
    {%- else %}
    {%- set identity = ['customer_key', 'event_time', 'channel', 'campaign_id', 'event_type', 'ad_id'] %}
    update {{ relation }} as touches
    set
        is_collapsed_duplicate = numbered.identical_row_number > 1,
        row_outcome = case when numbered.identical_row_number > 1 then 'collapsed_duplicate' else 'clean' end
    from (
        select
            rowid as touch_row_id,
            row_number() over (
                partition by customer_key, event_time, channel, coalesce(campaign_id, ''), event_type,
                    coalesce(ad_id, '')
                order by load_id, source_file
            ) as identical_row_number
        from {{ relation }}
        where row_outcome <> 'rejected'
            and {{ identity_hash(identity) }} in (
                {%- set hashes %}
                (
                    select {{ identity_hash(identity) }} as touch_hash
                    from {{ relation }}
                    where row_outcome <> 'rejected'
                ) as hashes
                {%- endset %}
                {{ repeated_keys(['touch_hash'], hashes) }}
            )
    ) as numbered
    where touches.rowid = numbered.touch_row_id
        and touches.is_collapsed_duplicate <> (numbered.identical_row_number > 1)
    {%- endif %}
{%- endmacro %}

{% macro touch_files_arrived(relation) -%}
    {#- Whether this build wrote the rows of a touch file no earlier build had loaded: a file of the table that
        stg_marketing__loaded_files (built after this model, so still the earlier builds' record) lacks.
        Looked up by name, not ref(), so it adds no edge to the DAG; without that record, always yes. A daily
        build of orders only otherwise hashed every stored touch again to find no copy (~20M at 10M orders:
        3.6 s). -#}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set loaded = adapter.get_relation(relation.database, relation.schema, 'stg_marketing__loaded_files') -%}
    {%- if loaded is none -%}{{ return(true) }}{%- endif -%}
    {%- set unrecorded = run_query(
        "select count(*) from (select distinct source_file from " ~ relation ~ ") as stored"
        ~ " left join " ~ loaded ~ " as recorded on stored.source_file = recorded.source_file"
        ~ " where recorded.source_file is null"
    ) -%}
    {{ return(unrecorded.columns[0].values()[0] > 0) }}
{%- endmacro %}
