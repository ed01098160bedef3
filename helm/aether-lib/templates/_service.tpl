{{/*
aether-lib.service — every Kubernetes object of one Aether service.
Call: {{ include "aether-lib.service" (dict "root" $ "name" "security") }}
Renders: ServiceAccount (+ Role and RoleBinding when rbac.rules are set), ConfigMap (non-secret env), ConfigMap of
the mounted files (when `files` is set), Deployment, Service, HPA, PDB,
NetworkPolicy, optional ServiceMonitor, optional Ingress (public services), for services
with migrations.enabled the pre-install/pre-upgrade migration Job (+ its ServiceAccount), and
the `helm test` Pod that checks /readyz through the Service (_tests.tpl).
*/}}
{{- define "aether-lib.service" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $svc := include "aether-lib.serviceValues" (list $root $name) | fromJson -}}
{{- $ctx := dict "root" $root "name" $name "svc" $svc -}}
{{- if not (regexMatch "^[a-z]([a-z0-9-]*[a-z0-9])?$" $name) -}}
{{- fail (printf "services.%s: a service name must be a DNS label ([a-z0-9-])" $name) -}}
{{- end -}}
{{- include "aether-lib.serviceAccount" $ctx }}
{{ include "aether-lib.configMap" $ctx }}
{{- if $svc.files }}
{{ include "aether-lib.filesConfigMap" $ctx }}
{{- end }}
{{ include "aether-lib.deployment" $ctx }}
{{ include "aether-lib.k8sService" $ctx }}
{{- if $svc.autoscaling.enabled }}
{{ include "aether-lib.hpa" $ctx }}
{{- end }}
{{ include "aether-lib.pdb" $ctx }}
{{- if $root.Values.global.networkPolicy.enabled }}
{{ include "aether-lib.networkPolicy" $ctx }}
{{- end }}
{{- if $svc.serviceMonitor.enabled }}
{{ include "aether-lib.serviceMonitor" $ctx }}
{{- end }}
{{- if and $svc.public $svc.ingress.enabled }}
{{ include "aether-lib.ingress" $ctx }}
{{- end }}
{{- if $svc.migrations.enabled }}
{{ include "aether-lib.migrationJob" $ctx }}
{{- end }}
{{ include "aether-lib.readyzTest" $ctx }}
{{- end -}}

{{- define "aether-lib.serviceAccount" -}}
{{- $fullname := include "aether-lib.fullname" (list .root .name) }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
  {{- with .svc.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if .svc.rbac.rules }}
# Calls the Kubernetes API with exactly the Role below.
automountServiceAccountToken: true
{{ include "aether-lib.role" . }}
{{- else }}
# The app never calls the Kubernetes API; IRSA / Workload Identity do not need the token mount.
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{- define "aether-lib.role" -}}
{{- $fullname := include "aether-lib.fullname" (list .root .name) }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
rules:
  {{- toYaml .svc.rbac.rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $fullname }}
subjects:
  - kind: ServiceAccount
    name: {{ $fullname }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}

{{- define "aether-lib.configMap" -}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "aether-lib.fullname" (list .root .name) }}-env
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
data:
  {{- include "aether-lib.envMap" . | fromJson | toYaml | nindent 2 }}
{{- end -}}

{{/* The ConfigMap key of a mounted file: its path without the leading "/", "/" → "_"
(ConfigMap keys allow only [-._a-zA-Z0-9]). Arg: the absolute path. */}}
{{- define "aether-lib.fileKey" -}}
{{- if not (regexMatch "^(/[A-Za-z0-9._-]+)+$" .) -}}
{{- fail (printf "files: %q is not an absolute file path" .) -}}
{{- end -}}
{{- trimPrefix "/" . | replace "/" "_" -}}
{{- end -}}

{{/* `files` (mount path → content) as a ConfigMap; the Deployment mounts each key at its path. */}}
{{- define "aether-lib.filesConfigMap" -}}
{{- $data := dict -}}
{{- range $path, $content := .svc.files -}}
{{- $key := include "aether-lib.fileKey" $path -}}
{{- if hasKey $data $key -}}
{{- fail (printf "services.%s.files: %q and another path share the ConfigMap key %q" $.name $path $key) -}}
{{- end -}}
{{- $_ := set $data $key (toString $content) -}}
{{- end -}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "aether-lib.fullname" (list .root .name) }}-files
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
data:
  {{- toYaml $data | nindent 2 }}
{{- end -}}

{{- define "aether-lib.deployment" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $g := $root.Values.global -}}
{{- $fullname := include "aether-lib.fullname" (list $root .name) -}}
{{- $envJson := include "aether-lib.envMap" . -}}
{{- $secretEnv := include "aether-lib.secretEnv" . -}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "aether-lib.labels" (list $root .name) | nindent 4 }}
    app.kubernetes.io/component: server
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "aether-lib.serverSelectorLabels" (list $root .name) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%
  template:
    metadata:
      labels:
        {{- include "aether-lib.labels" (list $root .name) | nindent 8 }}
        app.kubernetes.io/component: server
        {{- with $svc.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Roll the pods when their non-secret configuration changes.
        checksum/env: {{ $envJson | sha256sum }}
        {{- with $svc.files }}
        # ... and when a mounted file changes (subPath mounts never see ConfigMap updates).
        checksum/files: {{ toJson . | sha256sum }}
        {{- end }}
        {{- with $svc.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ $fullname }}
      automountServiceAccountToken: {{ if $svc.rbac.rules }}true{{ else }}false{{ end }}
      # Service links would inject <SERVICE>_PORT=tcp://... variables that clash with app config.
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "aether-lib.podSecurityContext" . | nindent 8 }}
      {{- with $g.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- if $svc.topologySpread.enabled }}
      topologySpreadConstraints:
        # Across zones as configured; across nodes always best-effort (an HPA may scale past the node count).
        {{- range $key, $when := dict "topology.kubernetes.io/zone" $svc.topologySpread.whenUnsatisfiable "kubernetes.io/hostname" "ScheduleAnyway" }}
        - topologyKey: {{ $key }}
          maxSkew: {{ $svc.topologySpread.maxSkew }}
          whenUnsatisfiable: {{ $when }}
          labelSelector:
            matchLabels:
              {{- include "aether-lib.serverSelectorLabels" (list $root $.name) | nindent 14 }}
        {{- end }}
      {{- end }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ include "aether-lib.image" . | quote }}
          imagePullPolicy: {{ ($svc.image | default dict).pullPolicy | default $g.image.pullPolicy }}
          ports:
            {{- if $svc.grpc }}
            - name: grpc
              containerPort: {{ $g.ports.grpc }}
              protocol: TCP
            {{- end }}
            - name: http
              containerPort: {{ $g.ports.http }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ $fullname }}-env
          {{- with $secretEnv }}
          env:
            {{- . | trim | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 2
            failureThreshold: {{ $svc.probes.startupFailureThreshold }}
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: {{ $svc.probes.periodSeconds }}
            timeoutSeconds: {{ $svc.probes.timeoutSeconds }}
            failureThreshold: {{ $svc.probes.livenessFailureThreshold }}
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: {{ $svc.probes.periodSeconds }}
            timeoutSeconds: {{ $svc.probes.timeoutSeconds }}
            failureThreshold: {{ $svc.probes.readinessFailureThreshold }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "aether-lib.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- range $path, $_ := $svc.files }}
            - name: files
              mountPath: {{ $path | quote }}
              subPath: {{ include "aether-lib.fileKey" $path | quote }}
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $svc.tmpSizeLimit }}
        {{- if $svc.files }}
        - name: files
          configMap:
            name: {{ $fullname }}-files
        {{- end }}
{{- end -}}

{{- define "aether-lib.k8sService" -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "aether-lib.fullname" (list .root .name) }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
  {{- with .svc.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .svc.service.type }}
  selector:
    {{- include "aether-lib.serverSelectorLabels" (list .root .name) | nindent 4 }}
  ports:
    {{- if .svc.grpc }}
    - name: grpc
      port: {{ .root.Values.global.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    {{- end }}
    - name: http
      port: {{ .root.Values.global.ports.http }}
      targetPort: http
      protocol: TCP
      appProtocol: http
{{- end -}}

{{- define "aether-lib.hpa" -}}
{{- $a := .svc.autoscaling -}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "aether-lib.fullname" (list .root .name) }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "aether-lib.fullname" (list .root .name) }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $a.targetCPUUtilizationPercentage }}
    {{- if $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ $a.targetMemoryUtilizationPercentage }}
    {{- end }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
{{- end -}}

{{- define "aether-lib.pdb" -}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "aether-lib.fullname" (list .root .name) }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
spec:
  {{- if .svc.pdb.minAvailable }}
  minAvailable: {{ .svc.pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .svc.pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "aether-lib.serverSelectorLabels" (list .root .name) | nindent 6 }}
{{- end -}}

{{- define "aether-lib.serviceMonitor" -}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "aether-lib.fullname" (list .root .name) }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
    {{- with .svc.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "aether-lib.selectorLabels" (list .root .name) | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ .svc.serviceMonitor.interval }}
      scrapeTimeout: {{ .svc.serviceMonitor.scrapeTimeout }}
{{- end -}}

{{- define "aether-lib.ingress" -}}
{{- $i := .svc.ingress -}}
{{- $fullname := include "aether-lib.fullname" (list .root .name) -}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "aether-lib.labels" (list .root .name) | nindent 4 }}
  {{- with $i.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $i.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $i.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    {{- range $i.hosts }}
    - {{- with .host }}
      host: {{ . | quote }}
      {{- end }}
      http:
        paths:
          {{- range (.paths | default (list (dict "path" "/" "pathType" "Prefix"))) }}
          - path: {{ .path }}
            pathType: {{ .pathType | default "Prefix" }}
            backend:
              service:
                name: {{ $fullname }}
                port:
                  name: http
          {{- end }}
    {{- end }}
{{- end -}}
