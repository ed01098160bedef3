{{/*
`helm test` hooks: one Pod per service that asks the service's /readyz through its Service (the
cluster DNS name and the Service port, so the Service, its endpoints and the pods' readiness are
all on the path). It runs the service's own image — node is in it — so the test needs no other
image (registries may be unreachable from the cluster). Exit 0 only on HTTP 200; it tries 10
times, 2 s apart, because a rollout may still be settling.
*/}}
{{- define "aether-lib.readyzTest" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $g := $root.Values.global -}}
{{- $fullname := include "aether-lib.fullname" (list $root .name) -}}
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ $fullname }}-test-readyz
  labels:
    {{- include "aether-lib.labels" (list $root .name) | nindent 4 }}
    app.kubernetes.io/component: test
  annotations:
    helm.sh/hook: test
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- include "aether-lib.podSecurityContext" . | nindent 4 }}
  {{- with $g.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- with $svc.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $svc.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: readyz
      image: {{ include "aether-lib.image" . | quote }}
      imagePullPolicy: {{ ($svc.image | default dict).pullPolicy | default $g.image.pullPolicy }}
      env:
        - name: READYZ_URL
          value: {{ printf "http://%s:%v/readyz" $fullname $g.ports.http | quote }}
      command:
        - node
        - -e
        - |
          const url = process.env.READYZ_URL;
          const attempt = async (n) => {
            try {
              const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
              console.log(`GET ${url} -> ${res.status}`);
              if (res.status === 200) process.exit(0);
            } catch (err) {
              console.log(`GET ${url} failed: ${err.message}`);
            }
            if (n >= 10) process.exit(1);
            setTimeout(() => attempt(n + 1), 2000);
          };
          attempt(1);
      resources:
        requests: { cpu: 10m, memory: 48Mi }
        limits: { cpu: 200m, memory: 128Mi }
      securityContext:
        {{- include "aether-lib.containerSecurityContext" . | nindent 8 }}
{{- end -}}

{{/*
The test Pods' network paths, as test hooks too (they exist only while `helm test` runs): the
release's server pods accept the test pods on the management port, and the test pods may resolve
names and reach that port. Without them the default-deny policy would block the tests.
*/}}
{{- define "aether-lib.testNetworkPolicies" -}}
{{- $labels := dict "app.kubernetes.io/part-of" "aether" "app.kubernetes.io/instance" .Release.Name "app.kubernetes.io/managed-by" .Release.Service -}}
{{- $hook := dict "helm.sh/hook" "test" "helm.sh/hook-weight" "-1" "helm.sh/hook-delete-policy" "before-hook-creation,hook-succeeded" -}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ printf "%sreadyz-test-ingress" (.Values.global.namePrefix | default "") }}
  labels:
    {{- toYaml $labels | nindent 4 }}
  annotations:
    {{- toYaml $hook | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
      app.kubernetes.io/component: server
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ .Release.Name }}
              app.kubernetes.io/component: test
      ports:
        - { port: http, protocol: TCP }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ printf "%sreadyz-test-egress" (.Values.global.namePrefix | default "") }}
  labels:
    {{- toYaml $labels | nindent 4 }}
  annotations:
    {{- toYaml $hook | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
      app.kubernetes.io/component: test
  policyTypes: [Egress]
  egress:
    - ports:
        - { port: 53, protocol: UDP }
        - { port: 53, protocol: TCP }
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ .Release.Name }}
              app.kubernetes.io/component: server
      ports:
        - { port: {{ .Values.global.ports.http }}, protocol: TCP }
{{- end -}}
