{{/*
Shared helpers. Most templates take a context dict:
  root — the umbrella's top-level context ($)
  name — the service key in .Values.services (e.g. "task-manager")
  svc  — that service's values merged over .Values.defaults (see aether-lib.serviceValues)
*/}}

{{/* Deep merge of two maps (right wins), as JSON. Unlike sprig's merge/mergeOverwrite it keeps
an explicit false/0/"" from the right-hand side, so a service can switch a default off. */}}
{{- define "aether-lib.deepMerge" -}}
{{- $base := deepCopy (index . 0) -}}
{{- range $k, $v := (index . 1) -}}
{{- if and (kindIs "map" $v) (kindIs "map" (get $base $k)) -}}
{{- $_ := set $base $k (include "aether-lib.deepMerge" (list (get $base $k) $v) | fromJson) -}}
{{- else -}}
{{- $_ := set $base $k $v -}}
{{- end -}}
{{- end -}}
{{- toJson $base -}}
{{- end -}}

{{/* One service's effective values (defaults ⊕ services.<name>), as JSON. Args: (list root name). */}}
{{- define "aether-lib.serviceValues" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $raw := index $root.Values.services $name -}}
{{- if not (kindIs "map" $raw) -}}
{{- fail (printf "services.%s: expected a map of settings" $name) -}}
{{- end -}}
{{- include "aether-lib.deepMerge" (list ($root.Values.defaults | default dict) $raw) -}}
{{- end -}}

{{/* True ("true") when services.<name> exists and is enabled. Args: (list root name). */}}
{{- define "aether-lib.isEnabled" -}}
{{- $root := index . 0 -}}
{{- $raw := index $root.Values.services (index . 1) -}}
{{- if and (kindIs "map" $raw) (ne (toString (index $raw "enabled")) "false") -}}true{{- end -}}
{{- end -}}

{{/* Kubernetes object name of a service. Args: (list root name). */}}
{{- define "aether-lib.fullname" -}}
{{- $root := index . 0 -}}
{{- printf "%s%s" ($root.Values.global.namePrefix | default "") (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels shared by a service's server pods and its migration pods. Args: (list root name). */}}
{{- define "aether-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
{{- end -}}

{{/* Selector of the server pods only (Deployment, Service, PDB): excludes migration Job pods. */}}
{{- define "aether-lib.serverSelectorLabels" -}}
{{ include "aether-lib.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "aether-lib.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: aether
app.kubernetes.io/version: {{ include "aether-lib.imageTag" (list $root (dict)) | quote }}
{{ include "aether-lib.selectorLabels" . }}
{{- end -}}

{{/* Image tag: service image.tag, else global.image.tag, else the chart's appVersion. Args: (list root svc). */}}
{{- define "aether-lib.imageTag" -}}
{{- $root := index . 0 -}}
{{- $svc := index . 1 -}}
{{- $img := $svc.image | default dict -}}
{{- $img.tag | default $root.Values.global.image.tag | default $root.Chart.AppVersion | toString -}}
{{- end -}}

{{- define "aether-lib.image" -}}
{{- $root := .root -}}
{{- $img := .svc.image | default dict -}}
{{- $repo := $img.repository | default (printf "%s/%s" (trimSuffix "/" $root.Values.global.image.registry) .name) -}}
{{- printf "%s:%s" $repo (include "aether-lib.imageTag" (list $root .svc)) -}}
{{- end -}}

{{/* ENV_NAME of a peer's gRPC address variable: task-manager → TASK_MANAGER_GRPC_URL. */}}
{{- define "aether-lib.grpcUrlEnv" -}}
{{- printf "%s_GRPC_URL" (. | upper | replace "-" "_") -}}
{{- end -}}

{{/* The gRPC callees of a service that are enabled, as a JSON list. Fails on unknown names
or on callees without a gRPC server. Args: ctx. */}}
{{- define "aether-lib.callees" -}}
{{- $root := .root -}}
{{- $out := list -}}
{{- range $callee := (.svc.calls | default list) -}}
{{- if not (hasKey $root.Values.services $callee) -}}
{{- fail (printf "services.%s.calls: unknown service %q" $.name $callee) -}}
{{- end -}}
{{- if include "aether-lib.isEnabled" (list $root $callee) -}}
{{- $c := include "aether-lib.serviceValues" (list $root $callee) | fromJson -}}
{{- if not $c.grpc -}}
{{- fail (printf "services.%s.calls: %q has no gRPC server (grpc: false)" $.name $callee) -}}
{{- end -}}
{{- $out = append $out $callee -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The enabled services whose gRPC calls reach service `name`, as a JSON list. Args: (list root name). */}}
{{- define "aether-lib.callers" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $out := list -}}
{{- range $other := keys $root.Values.services | sortAlpha -}}
{{- if include "aether-lib.isEnabled" (list $root $other) -}}
{{- $o := include "aether-lib.serviceValues" (list $root $other) | fromJson -}}
{{- if has $name ($o.calls | default list) -}}
{{- $out = append $out $other -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The enabled services that fetch the JWKS from the issuer (auth: true), minus the issuer. */}}
{{- define "aether-lib.jwksConsumers" -}}
{{- $root := . -}}
{{- $issuer := $root.Values.global.auth.issuerService -}}
{{- $out := list -}}
{{- range $other := keys $root.Values.services | sortAlpha -}}
{{- if and (ne $other $issuer) (include "aether-lib.isEnabled" (list $root $other)) -}}
{{- $o := include "aether-lib.serviceValues" (list $root $other) | fromJson -}}
{{- if $o.auth -}}
{{- $out = append $out $other -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Whether this service needs the JWKS over HTTP from another service (the issuer). */}}
{{- define "aether-lib.usesRemoteJwks" -}}
{{- $issuer := .root.Values.global.auth.issuerService -}}
{{- if and .svc.auth (ne .name $issuer) -}}
{{- if not (include "aether-lib.isEnabled" (list .root $issuer)) -}}
{{- fail (printf "services.%s.auth: the token issuer %q (global.auth.issuerService) is not enabled" .name $issuer) -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{/* URL of a store the release runs itself — a top-level values block of the store's name with
enabled: true (chroma: templates/chroma.yaml) — else "". Args: (list root kind). */}}
{{- define "aether-lib.inClusterStoreUrl" -}}
{{- $root := index . 0 -}}
{{- $block := index $root.Values (index . 1) -}}
{{- if and (kindIs "map" $block) $block.enabled -}}
{{- printf "http://%s:%v" (include "aether-lib.fullname" (list $root (index . 1))) $block.port -}}
{{- end -}}
{{- end -}}

{{/* Non-secret environment of a service (ConfigMap data and the migration Job's env), as JSON. */}}
{{- define "aether-lib.envMap" -}}
{{- $root := .root -}}
{{- $g := $root.Values.global -}}
{{- $env := dict "HTTP_PORT" (toString $g.ports.http) "SERVICE_VERSION" (include "aether-lib.imageTag" (list $root .svc)) -}}
{{- if .svc.grpc -}}
{{- $_ := set $env "GRPC_PORT" (toString $g.ports.grpc) -}}
{{- end -}}
{{- range $callee := include "aether-lib.callees" . | fromJsonArray -}}
{{- $_ := set $env (include "aether-lib.grpcUrlEnv" $callee) (printf "%s:%v" (include "aether-lib.fullname" (list $root $callee)) $g.ports.grpc) -}}
{{- end -}}
{{- range $kind := keys (.svc.stores | default dict) | sortAlpha -}}
{{- with include "aether-lib.inClusterStoreUrl" (list $root $kind) -}}
{{- $_ := set $env (index $g.stores $kind).env . -}}
{{- end -}}
{{- end -}}
{{- if include "aether-lib.usesRemoteJwks" . -}}
{{- $_ := set $env "AUTH_JWKS_URL" (printf "http://%s:%v%s" (include "aether-lib.fullname" (list $root $g.auth.issuerService)) $g.ports.http $g.auth.jwksPath) -}}
{{- end -}}
{{- range $k, $v := ($g.env | default dict) -}}
{{- $_ := set $env $k (toString $v) -}}
{{- end -}}
{{- range $k, $v := (.svc.env | default dict) -}}
{{- $_ := set $env $k (toString $v) -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/* The env entries read from existing Secrets (stores and secretEnv), as a YAML list. */}}
{{- define "aether-lib.secretEnv" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- range $kind := keys (.svc.stores | default dict) | sortAlpha -}}
{{- $global := index ($root.Values.global.stores | default dict) $kind -}}
{{- if not $global -}}
{{- fail (printf "services.%s.stores: unknown store %q (define it under global.stores)" $name $kind) -}}
{{- end -}}
{{- $s := include "aether-lib.deepMerge" (list $global (index $.svc.stores $kind | default dict)) | fromJson -}}
{{- if not (include "aether-lib.inClusterStoreUrl" (list $root $kind)) -}}
{{- if not $s.existingSecret -}}
{{- fail (printf "services.%s.stores.%s.existingSecret: name the Secret that holds %s" $name $kind $s.env) -}}
{{- end }}
- name: {{ $s.env }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.key | default "url" }}
{{- end -}}
{{- end -}}
{{- range $envName := keys (.svc.secretEnv | default dict) | sortAlpha -}}
{{- $ref := index $.svc.secretEnv $envName -}}
{{- if or (not (kindIs "map" $ref)) (not $ref.secret) (not $ref.key) -}}
{{- fail (printf "services.%s.secretEnv.%s: expected {secret: <existing Secret>, key: <key>}" $name $envName) -}}
{{- end }}
- name: {{ $envName }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secret }}
      key: {{ $ref.key }}
      {{- if $ref.optional }}
      optional: true
      {{- end }}
{{- end -}}
{{- end -}}

{{/* Pod-level security context. */}}
{{- define "aether-lib.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ (.svc.securityContext | default dict).runAsUser | default 10001 }}
runAsGroup: {{ (.svc.securityContext | default dict).runAsGroup | default 10001 }}
fsGroup: {{ (.svc.securityContext | default dict).runAsGroup | default 10001 }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: non-root, read-only root, no capabilities. */}}
{{- define "aether-lib.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ (.svc.securityContext | default dict).runAsUser | default 10001 }}
runAsGroup: {{ (.svc.securityContext | default dict).runAsGroup | default 10001 }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
