// What `ferry init` writes. Every file is a working starting point: the example validates and
// runs as it stands, and the workflows pass only inputs the action declares.

export interface TemplateOptions {
  /** The activations directory, relative to the repository root. */
  dir: string;
  /** `uses:` of the Ferry action. */
  actionRef: string;
  /** The `yaml-language-server` schema of a file kind. */
  schema: (file: "activation" | "project") => string;
}

export const projectFile = (o: TemplateOptions) => `# yaml-language-server: $schema=${o.schema("project")}
# Ferry's project file: the warehouses your activations read, and defaults for all of them.
version: 1
warehouses:
  main:
    # The NAME of the environment variable that holds the connection URL (never the URL itself):
    # postgres://user@host:5432/db, mysql://user@host:3306/db, sqlite:./warehouse.db,
    # duckdb:./warehouse.duckdb, bigquery://project/dataset or snowflake://user@account/db/schema
    url_env: WAREHOUSE_URL
    # Where Ferry keeps its sync state inside that warehouse (created on the first run).
    state_schema: ferry
defaults:
  # How to read phone numbers written without a country code (ISO 3166 alpha-2).
  phone_default_region: US
  warnings:
    github_issue:
      labels: [ferry]
`;

export const EXAMPLE_NAME = "purchases";

export const exampleActivation = (o: TemplateOptions) => `# yaml-language-server: $schema=${o.schema("activation")}
# An activation: every row of the source is one conversion, sent to TikTok once.
# \`ferry validate\` checks this file, \`ferry plan\` shows what the next run would send.
version: 1
name: ${EXAMPLE_NAME}                       # unique, lowercase-kebab; keys the sync state: do not rename after the first run
description: Completed orders, sent to TikTok as offline purchases.
destination:
  type: tiktok-offline-conversions
  advertiser_id: "7000000000000000001"   # replace: TikTok Ads Manager, the ID under your account name
  event_set_id: "7100000000000000001"    # replace: Events Manager > your offline event set > Settings
  access_token_env: TIKTOK_ACCESS_TOKEN  # the NAME of the variable holding the token, never the token
source:
  warehouse: main                        # a warehouse of ferry.yml
  query: |                               # or table: schema.orders, or dbt_model: fct_orders
    select order_id, completed_at, email, phone, amount, currency
    from orders
  primary_key: order_id                  # identifies a conversion for ever: never sent twice
event: CompletePayment                   # TikTok's event name for every row
mapping:                                 # TikTok field: your column (unmapped columns are never sent)
  event_time: completed_at               # required
  email: email                           # at least one of email / phone; hashed before sending
  phone: phone
  value: amount
  currency: currency                     # or a constant: { const: USD }
  order_id: order_id
schedule: daily                          # cron (UTC), or hourly / daily / weekly
warnings:
  enabled: true                          # open a GitHub issue when a run needs a human
  max_rejected_percent: 5
`;

/** The step that runs the activations `activations` names (an expression), with the secrets. */
const runSteps = (o: TemplateOptions, activations: string) => `    steps:
      - uses: actions/checkout@v4
      - uses: ${o.actionRef}
        with:
          command: run
          path: ${o.dir}
          activations: ${activations}
          dry-run: \${{ inputs.dry-run || false }}
${secretsEnv}
`;

const secretsEnv = `        env:
          WAREHOUSE_URL: \${{ secrets.WAREHOUSE_URL }}
          TIKTOK_ACCESS_TOKEN: \${{ secrets.TIKTOK_ACCESS_TOKEN }}`;

const dispatchInputs = `  workflow_dispatch:
    inputs:
      activations:
        description: Comma-separated activation names (empty for all)
        required: false
        default: ""
      dry-run:
        description: Do everything but send to TikTok and record state
        type: boolean
        default: false`;

/**
 * The scheduled sync. The matrix form runs each activation in its own job, so a slow or failing
 * one holds back nothing else and each has its own summary; the single-job form runs them in turn.
 */
export const syncWorkflow = (
  o: TemplateOptions,
  form: "matrix" | "single",
) => `# Scheduled syncs. \`ferry workflow sync\` writes the cron lines from the activations' schedules
# (\`ferry workflow check\` fails CI on drift); the action runs the activations whose schedule
# matches the cron that fired, or all of them (or those named) when run by hand.
name: Ferry sync
on:
  schedule: []
${dispatchInputs}

permissions:
  contents: read
  issues: write # warning issues

jobs:
${
  form === "matrix"
    ? `  select:
    runs-on: ubuntu-latest
    outputs:
      activations: \${{ steps.select.outputs.selected }}
    steps:
      - uses: actions/checkout@v4
      - id: select
        uses: ${o.actionRef}
        with:
          command: list
          path: ${o.dir}
          activations: \${{ inputs.activations }}

  sync:
    needs: select
    if: needs.select.outputs.activations != '[]'
    name: \${{ matrix.activation }}
    runs-on: ubuntu-latest
    timeout-minutes: 60
    strategy:
      fail-fast: false # one failing activation does not cancel the others
      matrix:
        activation: \${{ fromJSON(needs.select.outputs.activations) }}
    concurrency:
      group: ferry-sync-\${{ matrix.activation }}
      cancel-in-progress: false
${runSteps(o, "${{ matrix.activation }}")}`
    : `  sync:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    concurrency:
      group: ferry-sync
      cancel-in-progress: false
${runSteps(o, "${{ inputs.activations }}")}`
}`;

export const planWorkflow = (
  o: TemplateOptions,
) => `# On pull requests that touch activations: validate them (annotations on the diff) and keep one
# comment with the plan of what the change does. It needs no warehouse and no TikTok token.
name: Ferry plan
on:
  pull_request:
    paths: ["${o.dir}/**"]

permissions:
  contents: read
  pull-requests: write # the plan comment

jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # the plan compares with the base commit's activations
      - uses: ${o.actionRef}
        with:
          command: plan
          path: ${o.dir}
`;

/**
 * Runs the activations on dbt models right after the dbt workflow succeeds. `dbtDir` is where
 * dbt_project.yml is, relative to the repository root ("" for the root).
 */
export const afterDbtWorkflow = (o: TemplateOptions, dbtDir: string) => {
  const target = dbtDir ? `${dbtDir}/target` : "target";
  return `# Runs Ferry as soon as the dbt workflow that builds its models succeeds, so conversions reach
# TikTok minutes after they land instead of at the next cron. On this event the action runs the
# activations that read dbt models (source.dbt_model), through the manifest that dbt run wrote.
#
# Adapt: \`workflows:\` is the \`name:\` of your dbt workflow, which must upload its manifest as an
# artifact named dbt-manifest, e.g. after \`dbt build\`:
#   - uses: actions/upload-artifact@v4
#     with: { name: dbt-manifest, path: ${target}/manifest.json }
name: Ferry after dbt
on:
  workflow_run:
    workflows: ["dbt build"]
    types: [completed]
    branches: [main]

permissions:
  contents: read
  issues: write # warning issues
  actions: read # to download the dbt run's manifest

concurrency:
  group: ferry-after-dbt
  cancel-in-progress: false

jobs:
  sync:
    # A failed or cancelled dbt run left models half-built: send nothing from them.
    if: github.event.workflow_run.conclusion == 'success'
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
        with:
          ref: \${{ github.event.workflow_run.head_sha }} # the commit dbt built
      - uses: actions/download-artifact@v4
        with:
          name: dbt-manifest
          path: ${target}
          run-id: \${{ github.event.workflow_run.id }}
          github-token: \${{ github.token }}
      - uses: ${o.actionRef}
        with:
          command: run
          path: ${o.dir}
${secretsEnv.replace("        env:\n", `        env:\n          DBT_MANIFEST_PATH: ${target}/manifest.json\n`)}
`;
};
