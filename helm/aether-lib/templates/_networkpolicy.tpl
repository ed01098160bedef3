{{/*
NetworkPolicy of one service, derived from the call graph in values:
  ingress  — management port (http) from the monitoring namespace (Prometheus);
             http from outside / the ingress controller when the service is public;
             grpc from exactly the services whose `calls` name this one;
             http from the services with `auth: true` when this one is the token issuer (JWKS).
  egress   — DNS; grpc to each callee; http to the issuer (JWKS) when `auth: true`;
             the ports of the stores it uses, to global.networkPolicy.storeCidrs (a store the
             release runs itself, chroma.enabled: to its pods);
             extraEgress from global and service values.
Anything else is denied (policyTypes Ingress and Egress; plus aether-lib.defaultDeny).
The selector covers the server pods and the migration Job pods of the service.
*/}}
{{- define "aether-lib.networkPolicy" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $g := $root.Values.global -}}
{{- $np := $g.networkPolicy -}}
{{- $callers := include "aether-lib.callers" (list $root $name) | fromJsonArray -}}
{{- $callees := include "aether-lib.callees" . | fromJsonArray -}}
{{- $jwksConsumers := list -}}
{{- if eq $name $g.auth.issuerService -}}
{{- $jwksConsumers = include "aether-lib.jwksConsumers" $root | fromJsonArray -}}
{{- end -}}
{{- $storePorts := list -}}
{{- $inClusterStores := list -}}
{{- range $kind := keys (.svc.stores | default dict) | sortAlpha -}}
{{- if include "aether-lib.inClusterStoreUrl" (list $root $kind) -}}
{{- $inClusterStores = append $inClusterStores $kind -}}
{{- else -}}
{{- $s := include "aether-lib.deepMerge" (list (index $g.stores $kind) (index $.svc.stores $kind | default dict)) | fromJson -}}
{{- range $s.ports -}}
{{- $storePorts = append $storePorts (int .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $storePorts = $storePorts | uniq | sortAlpha -}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "aether-lib.fullname" (list $root $name) }}
  labels:
    {{- include "aether-lib.labels" (list $root $name) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "aether-lib.selectorLabels" (list $root $name) | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    # Prometheus scrapes /metrics on the management port.
    - from:
        - namespaceSelector:
            {{- toYaml $np.monitoring.namespaceSelector | nindent 12 }}
          {{- with $np.monitoring.podSelector }}
          podSelector:
            {{- toYaml . | nindent 12 }}
          {{- end }}
      ports:
        - { port: http, protocol: TCP }
    {{- if .svc.public }}
    # Public entry point: the ingress controller / load balancer.
    - ports:
        - { port: http, protocol: TCP }
      {{- with $np.publicIngressFrom }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- if and .svc.grpc $callers }}
    # gRPC callers (call graph).
    - from:
        {{- range $callers }}
        - podSelector:
            matchLabels:
              {{- include "aether-lib.selectorLabels" (list $root .) | nindent 14 }}
        {{- end }}
      ports:
        - { port: grpc, protocol: TCP }
    {{- end }}
    {{- if $jwksConsumers }}
    # Services that verify access tokens fetch the JWKS from the issuer.
    - from:
        {{- range $jwksConsumers }}
        - podSelector:
            matchLabels:
              {{- include "aether-lib.selectorLabels" (list $root .) | nindent 14 }}
        {{- end }}
      ports:
        - { port: http, protocol: TCP }
    {{- end }}
    {{- with .svc.networkPolicy.extraIngress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  egress:
    # DNS (kube-dns or NodeLocal DNSCache).
    - ports:
        - { port: 53, protocol: UDP }
        - { port: 53, protocol: TCP }
    {{- range $callees }}
    - to:
        - podSelector:
            matchLabels:
              {{- include "aether-lib.selectorLabels" (list $root .) | nindent 14 }}
      ports:
        - { port: {{ $g.ports.grpc }}, protocol: TCP }
    {{- end }}
    {{- if include "aether-lib.usesRemoteJwks" . }}
    - to:
        - podSelector:
            matchLabels:
              {{- include "aether-lib.selectorLabels" (list $root $g.auth.issuerService) | nindent 14 }}
      ports:
        - { port: {{ $g.ports.http }}, protocol: TCP }
    {{- end }}
    {{- range $inClusterStores }}
    # A store the release runs itself (chroma.enabled).
    - to:
        - podSelector:
            matchLabels:
              {{- include "aether-lib.selectorLabels" (list $root .) | nindent 14 }}
      ports:
        - { port: {{ (index $root.Values .).port }}, protocol: TCP }
    {{- end }}
    {{- if $storePorts }}
    # Data stores and the broker (managed services outside the cluster by default).
    - to:
        {{- range $np.storeCidrs }}
        - ipBlock:
            cidr: {{ . }}
        {{- end }}
      ports:
        {{- range $storePorts }}
        - { port: {{ . }}, protocol: TCP }
        {{- end }}
    {{- end }}
    {{- with $np.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with .svc.networkPolicy.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* Deny all ingress and egress for the release's pods that no service policy allows. */}}
{{- define "aether-lib.defaultDeny" -}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ printf "%sdefault-deny" (.Values.global.namePrefix | default "") }}
  labels:
    app.kubernetes.io/part-of: aether
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/managed-by: {{ .Release.Service }}
spec:
  {{- if .Values.global.networkPolicy.defaultDenyWholeNamespace }}
  podSelector: {}
  {{- else }}
  podSelector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
  {{- end }}
  policyTypes: [Ingress, Egress]
{{- end -}}
