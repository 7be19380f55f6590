import { hrefOf } from '../access';
import type { PageProps } from '../context';

/** The landing page: who is signed in, and every page their role may open. */
export function Overview({ ctx }: PageProps) {
  const { c } = ctx.t;
  const others = ctx.pages.filter((p) => p.id !== 'overview');
  return (
    <>
      <p>{c.overview.intro({ name: ctx.session.user })}</p>
      {others.length > 0 && <section aria-labelledby="overview-pages">
        <h2 id="overview-pages">{c.overview.pagesHeading}</h2>
        <ul class="page-list">
          {others.map((p) => (
            <li key={p.id}>
              <a href={hrefOf(p)}>{p.title(c)}</a>
              <span class="meta">{p.summary(c)}</span>
              <span class="badge">{c.pageNeeds[p.needs]}</span>
            </li>
          ))}
        </ul>
      </section>}
    </>
  );
}
